import type { Agent } from '../../agents/agent.js'
import type { AuditDraft } from '../../audit/event.js'
import type { TierRecord, TierStep } from '../../tiers/tier-record.js'

/**
 * Earned trust: one record of counters per agent (tiers/tier-record.ts), and the agent's tier
 * itself. Conformance: `testing/store/tiers.ts`.
 */
export interface TierStore {
  getTierRecord(handle: string): Promise<TierRecord | undefined>
  /**
   * Atomic read-decide-write: reads the agent and its record (`undefined` when it has none yet),
   * calls `step` (pure; it may run more than once on a conflict), writes the record, and when
   * the step changes the tier also the agent's `tier` and `audit(step)`, in one write.
   * AgentNotFound if there is no such agent.
   */
  applyTierStep(handle: string, step: (record: TierRecord | undefined, agent: Agent) => TierStep, audit: (step: TierStep) => AuditDraft | undefined): Promise<TierStep>
}
