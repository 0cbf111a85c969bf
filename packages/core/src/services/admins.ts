import { createHash, randomBytes } from 'node:crypto'
import { bootstrapSubject, principalOf, type AdminPrincipal, type AdminRole, type AdminVia, type Caller, type ConsoleSession } from '../admins/principal.js'
import { verifyAuditChain, type ChainVerdict } from '../audit/chain.js'
import type { AuditEvent } from '../audit/event.js'
import { ClientUnauthorized, RequestInvalid } from '../errors.js'
import type { Clock } from '../ports/clock.js'
import type { AdminStore } from '../ports/store/index.js'
import { auditDraft } from './context.js'

/** SHA-256 (hex) of a token or session id: what the store keeps instead of it. */
export function secretHash(value: string): string {
  return createHash('sha256').update(value).digest('hex')
}

// 32 random bytes (256 bits): guessing one is out of reach, so a plain hash (no salt, no KDF)
// is enough to keep the store from holding anything usable. The prefix lets secret scanners
// find a leaked one.
const newSecret = (prefix: string) => `${prefix}${randomBytes(32).toString('base64url')}`

// Subjects are emails or plain names: printable, no spaces, no `/` (they are a path segment).
const subjectPattern = /^[A-Za-z0-9._%+@-]{1,254}$/

export function parseSubject(subject: unknown): string {
  if (typeof subject !== 'string' || !subjectPattern.test(subject) || subject === bootstrapSubject) {
    throw new RequestInvalid([`subject: expected an email or name of 1-254 of A-Z, a-z, 0-9, ".", "_", "%", "+", "@", "-" (not "${bootstrapSubject}")`])
  }
  return subject.toLowerCase()
}

export interface NewAdmin {
  readonly subject: string
  readonly roles: readonly AdminRole[]
  /** From now; none: until revoked. */
  readonly expiresInSeconds?: number
}

/** Named admins, console sessions and the admin audit chain. */
export interface AdminService {
  /** The new admin and its token, shown this once. */
  createAdmin(actor: string, input: NewAdmin): Promise<{ admin: AdminPrincipal; token: string }>
  listAdmins(): Promise<AdminPrincipal[]>
  revokeAdmin(actor: string, subject: string): Promise<AdminPrincipal>
  /** After it, every replica refuses the bootstrap token. Idempotent. */
  retireBootstrap(actor: string): Promise<Date>
  isBootstrapRetired(): Promise<boolean>
  /** The caller a named admin token stands for; ClientUnauthorized if unknown, expired or revoked. */
  authenticateAdminToken(token: string): Promise<Caller>
  /** Opens a console session for `caller`, recorded on the admin chain; the id goes in the cookie. */
  startSession(caller: Caller, ttlSeconds: number): Promise<{ id: string; session: ConsoleSession }>
  /** The session's caller, or undefined when unknown, expired, or its token was revoked since. */
  resumeSession(id: string): Promise<Caller | undefined>
  endSession(id: string): Promise<void>
  readAdminAudit(options?: { afterSeq?: number; limit?: number }): Promise<AuditEvent[]>
  verifyAdminAudit(): Promise<ChainVerdict>
}

export function createAdminService(deps: { store: AdminStore; clock: Clock }): AdminService {
  const { store, clock } = deps
  // Retirement is permanent: once seen, no need to read it again.
  let retired = false

  /** A token's admin, if it may act now. */
  const live = (admin: AdminPrincipal | undefined): boolean =>
    admin !== undefined && admin.revokedAt === undefined && (admin.expiresAt === undefined || admin.expiresAt.getTime() > clock.now().getTime())

  const callerOf = (subject: string, roles: readonly AdminRole[], via: AdminVia): Caller => ({ principal: principalOf(subject), subject, roles, via })

  const service: AdminService = {
    async createAdmin(actor, input) {
      const subject = parseSubject(input.subject)
      if (input.roles.length === 0) throw new RequestInvalid(['roles: at least one role'])
      const now = clock.now()
      if (input.expiresInSeconds !== undefined && !(input.expiresInSeconds > 0)) throw new RequestInvalid(['expires: must lie in the future'])
      const expiresAt = input.expiresInSeconds === undefined ? undefined : new Date(now.getTime() + input.expiresInSeconds * 1000)
      const token = newSecret('lya_')
      const roles = [...new Set(input.roles)]
      const admin: AdminPrincipal = { subject, roles, tokenHash: secretHash(token), createdAt: now, createdBy: actor, ...(expiresAt === undefined ? {} : { expiresAt }) }
      const created = await store.createAdmin(admin, auditDraft(clock, actor, 'admin.created', principalOf(subject), { roles, ...(expiresAt === undefined ? {} : { expires_at: expiresAt.toISOString() }) }))
      return { admin: created, token }
    },
    listAdmins: () => store.listAdmins(),
    async revokeAdmin(actor, subject) {
      const name = parseSubject(subject)
      return store.revokeAdmin(name, clock.now(), auditDraft(clock, actor, 'admin.revoked', principalOf(name)))
    },
    async retireBootstrap(actor) {
      const at = await store.retireBootstrap(clock.now(), auditDraft(clock, actor, 'bootstrap.retired', principalOf(bootstrapSubject)))
      retired = true
      return at
    },
    async isBootstrapRetired() {
      if (!retired) retired = (await store.bootstrapRetiredAt()) !== undefined
      return retired
    },
    async authenticateAdminToken(token) {
      const admin = await store.findAdminByTokenHash(secretHash(token))
      if (admin === undefined) throw new ClientUnauthorized({ detail: 'unknown admin token' })
      if (!live(admin)) throw new ClientUnauthorized({ detail: `the admin token of ${admin.subject} is ${admin.revokedAt ? 'revoked' : 'expired'}` })
      return callerOf(admin.subject, admin.roles, 'token')
    },
    async startSession(caller, ttlSeconds) {
      const id = newSecret('')
      const now = clock.now()
      const session: ConsoleSession = { idHash: secretHash(id), subject: caller.subject, roles: caller.roles, via: caller.via, createdAt: now, expiresAt: new Date(now.getTime() + ttlSeconds * 1000) }
      await store.createSession(session, auditDraft(clock, caller.principal, 'console.signed-in', caller.principal, { via: caller.via, roles: caller.roles }))
      return { id, session }
    },
    async resumeSession(id) {
      const session = await store.findSession(secretHash(id), clock.now())
      if (session === undefined) return undefined
      // (1) A token session lives no longer than its token; (2) a bootstrap one no longer than
      // the bootstrap token; (3) an OIDC one until it expires.
      if (session.via === 'token' && !live(await store.getAdmin(session.subject))) return undefined
      if (session.via === 'bootstrap' && (await service.isBootstrapRetired())) return undefined
      return callerOf(session.subject, session.roles, session.via)
    },
    endSession: (id) => store.deleteSession(secretHash(id)),
    readAdminAudit: (options) => store.readAdminAudit(options),
    async verifyAdminAudit() {
      const head = await store.readAdminAuditHead()
      const events = await store.readAdminAudit()
      if (head === undefined) return events.length === 0 ? verifyAuditChain([]) : { ok: false, brokenAt: 1, reason: 'events exist but no chain head is recorded' }
      return verifyAuditChain(events, head)
    },
  }
  return service
}
