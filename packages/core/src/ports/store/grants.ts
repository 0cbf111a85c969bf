import type { AuditDraft } from '../../audit/event.js'
import type { Grant, GrantStatus } from '../../exchange/grant.js'

export type GrantSettlement =
  | {
      readonly status: 'live'
      readonly expiresAt: Date
      readonly ref: unknown
      readonly index: Readonly<Record<string, string>>
      readonly sealedSecret?: string
    }
  | { readonly status: 'failed'; readonly error: string }

/** Grants: begun, settled, found by whois. Conformance: `testing/store/grants.ts`. */
export interface GrantStore {
  /**
   * The consistency point of the whole system. Atomic: records `grant` as `pending` only if the
   * agent is `active` and its generation is still `generation`; AgentNotActive otherwise. Once
   * a revocation has been written, no grant can be begun for that agent.
   */
  beginGrant(grant: Grant, generation: number, audit: AuditDraft): Promise<void>
  /**
   * Atomic: `pending` -> `live` or `failed`, with its audit event. Returns the settled grant.
   * GrantNotFound if there is no such grant; GrantNotPending if it is settled already (a
   * reconciler and a slow exchange racing: the first one wins, the second changes nothing).
   */
  settleGrant(handle: string, grantId: string, settlement: GrantSettlement, audit: AuditDraft): Promise<Grant>
  getGrant(handle: string, grantId: string): Promise<Grant | undefined>
  listGrants(handle: string, status?: GrantStatus): Promise<Grant[]>
  /** Whois: grants whose attribution index has `key` = `value`. */
  findGrants(key: string, value: string): Promise<Grant[]>
  /** Grants still `pending` and created before `before`: left by a crash, to reconcile. */
  listPendingGrants(before: Date): Promise<Grant[]>
}
