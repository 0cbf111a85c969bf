import type { AuditDraft } from '../../audit/event.js'
import type { TrustRule } from '../../auth/trust-rule.js'

/** The trust-rule area of the Store (#16): rules are records of the agent they sign in as. */
export interface TrustRuleStore {
  /** Atomic with its audit event. Ids are unique; a second put of one id replaces the rule. */
  putTrustRule(rule: TrustRule, audit: AuditDraft): Promise<void>
  /** The agent's rules, oldest first. */
  listTrustRules(handle: string): Promise<TrustRule[]>
  /**
   * Every rule naming `issuer`, of every agent, oldest first: what a platform token of that
   * issuer is matched against. The broker scans them (subjects are patterns, so no exact index).
   */
  listTrustRulesByIssuer(issuer: string): Promise<TrustRule[]>
  /** Atomic with its audit event. False, writing nothing, when the agent has no such rule. */
  deleteTrustRule(handle: string, id: string, audit: AuditDraft): Promise<boolean>
}
