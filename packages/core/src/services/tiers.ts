import type { Agent, TrustTier } from '../agents/agent.js'
import type { Clock } from '../ports/clock.js'
import type { Logger } from '../ports/connector.js'
import type { EventBus } from '../ports/event-bus.js'
import type { AgentStore, TierStore } from '../ports/store/index.js'
import { initialTierRecord, nextPromotion, stepTier, type IncidentRule, type PromotionRule, type TierEvent, type TierRecord, type TierStep, type TrustPolicy } from '../tiers/tier-record.js'
import { auditDraft, mustGetAgent, publishChanged } from './context.js'

/** Without a `trust:` section: no ladder, no caps; bursts still count as incidents. */
export const defaultTrustPolicy: TrustPolicy = {
  promote: [],
  severe: [],
  refusalBurst: { threshold: 10, windowSeconds: 60 },
  rateLimitBurst: { threshold: 20, windowSeconds: 60 },
  tiers: {},
}

/** Why an agent is at its tier, and what it takes to move up. */
export interface TierExplanation {
  readonly record: TierRecord
  readonly next?: { readonly rule: PromotionRule; readonly missing: readonly string[] }
  readonly caps: TrustPolicy['tiers'][TrustTier]
}

export interface TierService {
  explainTier(handle: string): Promise<TierExplanation>
  /** An admin's report (a webhook receiver saw misuse), or a grant revoked as an incident. */
  recordIncident(actor: string, handle: string, incident: { rule: Extract<IncidentRule, 'reported' | 'grant-revoked'>; reason: string }): Promise<TierStep>
  /** The only way to tier 3. */
  setTier(actor: string, handle: string, tier: TrustTier, reason: string): Promise<TierStep>
  /** For the exchange and approvals: counts an event, applies what it causes. Never throws. */
  noteTierEvent(handle: string, event: TierEvent): Promise<void>
}

export interface TierServiceDeps {
  readonly store: AgentStore & TierStore
  readonly bus: EventBus
  readonly clock: Clock
  readonly log: Logger
  readonly policy: TrustPolicy
}

export function createTierService(deps: TierServiceDeps): TierService {
  const { store, clock, policy } = deps

  /**
   * One event, one atomic write. Its audit event: `agent.tier-changed` (from, to, rule, reason)
   * when the tier moved, `agent.incident` for an incident that could not lower it further.
   * Then: other replicas' agent caches are told; at `suspendAt` the agent is suspended.
   */
  async function apply(actor: string, handle: string, event: TierEvent): Promise<TierStep> {
    const step = await store.applyTierStep(
      handle,
      (record, agent) => stepTier(record ?? initialTierRecord(agent), event, policy, clock.now()),
      (s) =>
        s.change !== undefined
          ? auditDraft(clock, actor, 'agent.tier-changed', handle, { from: s.change.from, to: s.change.to, rule: s.change.rule, reason: s.change.reason, incidents: s.record.totalIncidents })
          : s.incident !== undefined
            ? auditDraft(clock, actor, 'agent.incident', handle, { rule: s.incident.rule, reason: s.incident.reason, tier: s.record.tier, incidents: s.record.totalIncidents })
            : undefined,
    )
    if (step.change !== undefined) {
      const agent = await store.getAgent(handle)
      if (agent !== undefined) await publishChanged(deps, agent)
    }
    if (step.suspend) await suspend(handle, step)
    return step
  }

  async function suspend(handle: string, step: TierStep): Promise<void> {
    const reason = `suspended after ${step.record.totalIncidents} incidents (suspendAt ${policy.suspendAt})`
    try {
      const agent: Agent = await store.changeAgentStatus(handle, { status: 'suspended', reason, from: ['active'] }, auditDraft(clock, 'policy:trust', 'agent.suspended', handle, { reason, rule: step.incident?.rule }))
      await publishChanged(deps, agent)
    } catch (error) {
      // Suspended or revoked already: nothing more to do.
      deps.log.info({ handle, err: String(error) }, 'trust policy suspension not applied')
    }
  }

  return {
    async explainTier(handle) {
      const agent = await mustGetAgent(store, handle)
      const record = (await store.getTierRecord(agent.handle)) ?? initialTierRecord(agent)
      const next = nextPromotion(record, policy, clock.now())
      return { record, caps: policy.tiers[record.tier], ...(next === undefined ? {} : { next }) }
    },
    async recordIncident(actor, handle, incident) {
      const agent = await mustGetAgent(store, handle)
      return apply(actor, agent.handle, { kind: 'incident', ...incident })
    },
    async setTier(actor, handle, tier, reason) {
      const agent = await mustGetAgent(store, handle)
      return apply(actor, agent.handle, { kind: 'set', tier, reason })
    },
    async noteTierEvent(handle, event) {
      try {
        await apply(event.kind === 'incident' ? 'policy:trust' : `agent:${handle}`, handle, event)
      } catch (error) {
        // The exchange's answer never depends on its bookkeeping; the log says what was lost.
        deps.log.warn({ handle, event: event.kind, err: String(error) }, 'trust record not updated')
      }
    },
  }
}
