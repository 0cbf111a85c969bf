import type { AdminPrincipal, ConsoleSession } from '../../admins/principal.js'
import type { ChainHead } from '../../audit/chain.js'
import type { AuditDraft, AuditEvent } from '../../audit/event.js'

/**
 * Named admins, console sessions and the broker-wide admin audit chain (`adminAuditChain`),
 * sealed with the same chain code as every agent's. Every write that changes who may act
 * appends its event to that chain in the same transaction. Conformance: `testing/store/admins.ts`.
 */
export interface AdminStore {
  /** Adds the admin. AdminExists if the subject has a live (unrevoked) admin; a revoked one is replaced. */
  createAdmin(admin: AdminPrincipal, audit: AuditDraft): Promise<AdminPrincipal>
  getAdmin(subject: string): Promise<AdminPrincipal | undefined>
  /** The admin whose token hashes to `tokenHash`, revoked or expired ones included. */
  findAdminByTokenHash(tokenHash: string): Promise<AdminPrincipal | undefined>
  /** Every admin, revoked ones included, by subject. */
  listAdmins(): Promise<AdminPrincipal[]>
  /** Marks it revoked at `at` (its token is refused from then on). AdminNotFound if none; idempotent. */
  revokeAdmin(subject: string, at: Date, audit: AuditDraft): Promise<AdminPrincipal>
  /** Records that the bootstrap token is retired, for every replica. Idempotent: the first time stays. */
  retireBootstrap(at: Date, audit: AuditDraft): Promise<Date>
  bootstrapRetiredAt(): Promise<Date | undefined>
  /** Records a sign-in; the audit event is the sign-in's. */
  createSession(session: ConsoleSession, audit: AuditDraft): Promise<void>
  /** The session, unless it expired by `now`. */
  findSession(idHash: string, now: Date): Promise<ConsoleSession | undefined>
  /** Idempotent. */
  deleteSession(idHash: string): Promise<void>
  /** The admin chain's events in seq order, from `afterSeq` + 1. */
  readAdminAudit(options?: { afterSeq?: number; limit?: number }): Promise<AuditEvent[]>
  /** The admin chain's head, kept beside it and moved in the same transaction as each event. */
  readAdminAuditHead(): Promise<ChainHead | undefined>
}
