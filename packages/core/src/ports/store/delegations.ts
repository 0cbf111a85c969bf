import type { AuditDraft } from '../../audit/event.js'

/**
 * A delegation rule (#17, RFC 8693 §4.4): `actor` may act for `subject` on `systems`, within
 * `scopes`, until `expiresAt`. The subject's handle tokens name the actors of its live rules in
 * `may_act`; an exchange with an `actor_token` needs both the claim and a live rule.
 */
export interface DelegationRule {
  readonly subject: string
  readonly actor: string
  readonly systems: readonly string[]
  readonly scopes: readonly string[]
  readonly expiresAt: Date
  /** Who set it: the admin, or the subject's owner. */
  readonly createdBy: string
  readonly createdAt: Date
}

/** Delegation rules, one per (subject, actor). Conformance: `testing/store/delegation.ts`. */
export interface DelegationStore {
  /** Atomic: creates or replaces the rule of (subject, actor) and appends `audit` to the subject's chain. AgentNotFound if there is no subject. */
  putDelegation(rule: DelegationRule, audit: AuditDraft): Promise<void>
  /** The subject's rules, expired ones included, by actor. */
  listDelegations(subject: string): Promise<DelegationRule[]>
}
