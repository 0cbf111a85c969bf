import { AdminExists, AdminNotFound, adminAuditChain } from '@lanyard/core'
import type { AdminPrincipal, AdminStore, AuditDraft } from '@lanyard/core'
import { decodeAdmin, decodeAll, decodeEvent, decodeSession, encode } from './codec.js'
import { call } from './connection.js'
import type { RedisDatabase } from './database.js'
import { parseHead, Transaction } from './transaction.js'

const retiredField = 'bootstrap_retired_at'

/**
 * Admins (keys.ts `admins`): every change is one guarded commit with its event on the admin
 * chain (`head`/`audit` of `adminAuditChain`, the same chain code as an agent's), guarded on the
 * chain head it read, so concurrent changes from many replicas serialise.
 */
export function createAdminMethods(db: RedisDatabase): AdminStore {
  const { client, keys, mutate } = db
  const { records, tokens, sessions, settings } = keys.admins
  const chainHead = () => call(() => client.get(keys.head(adminAuditChain)))
  /** A transaction that appends `audit` to the admin chain, guarded on `head`. */
  const audited = (head: string | null, audit: AuditDraft) => {
    const txn = new Transaction()
    txn.appendAudit(keys, adminAuditChain, head, audit)
    return txn
  }

  return {
    async createAdmin(admin, audit) {
      return mutate(async () => {
        const [head, existingJson] = await Promise.all([chainHead(), call(() => client.hget(records, admin.subject))])
        const existing = decodeAdmin(existingJson)
        if (existing !== undefined && existing.revokedAt === undefined) throw new AdminExists(admin.subject)
        const txn = audited(head, audit).expect(records, existingJson, admin.subject).hset(records, admin.subject, encode(admin)).hset(tokens, admin.tokenHash, admin.subject)
        if (existing !== undefined) txn.hdel(tokens, existing.tokenHash)
        return { result: admin, write: { txn } }
      })
    },

    getAdmin: async (subject) => decodeAdmin(await call(() => client.hget(records, subject))),

    async findAdminByTokenHash(tokenHash) {
      const subject = await call(() => client.hget(tokens, tokenHash))
      if (subject === null) return undefined
      const admin = decodeAdmin(await call(() => client.hget(records, subject)))
      // The index is written with the record; a replaced admin's old hash is removed with it.
      return admin?.tokenHash === tokenHash ? admin : undefined
    },

    async listAdmins() {
      const all = await call(() => client.hvals(records))
      return decodeAll(all, decodeAdmin, (a) => a.subject)
    },

    async revokeAdmin(subject, at, audit) {
      return mutate(async () => {
        const [head, json] = await Promise.all([chainHead(), call(() => client.hget(records, subject))])
        const admin = decodeAdmin(json)
        if (admin === undefined) throw new AdminNotFound(subject)
        if (admin.revokedAt !== undefined) return { result: admin }
        const revoked: AdminPrincipal = { ...admin, revokedAt: at }
        return { result: revoked, write: { txn: audited(head, audit).expect(records, json, subject).hset(records, subject, encode(revoked)) } }
      })
    },

    async retireBootstrap(at, audit) {
      return mutate(async () => {
        const [head, already] = await Promise.all([chainHead(), call(() => client.hget(settings, retiredField))])
        if (already !== null) return { result: new Date(Number(already)) }
        return { result: at, write: { txn: audited(head, audit).expect(settings, null, retiredField).hset(settings, retiredField, String(at.getTime())) } }
      })
    },

    async bootstrapRetiredAt() {
      const value = await call(() => client.hget(settings, retiredField))
      return value === null ? undefined : new Date(Number(value))
    },

    async createSession(session, audit) {
      // Sessions expire; the ones that did are swept after each sign-in, best effort (a reader
      // refuses an expired one anyway).
      const sweep = async () => {
        const all = await call(() => client.hgetall(sessions))
        const expired = Object.entries(all).filter(([, json]) => (decodeSession(json)?.expiresAt.getTime() ?? 0) <= session.createdAt.getTime()).map(([id]) => id)
        if (expired.length > 0) await call(() => client.hdel(sessions, ...expired))
      }
      await mutate(async () => {
        const head = await chainHead()
        return { result: undefined, write: { txn: audited(head, audit).hset(sessions, session.idHash, encode(session)), after: [sweep] } }
      })
    },

    async findSession(idHash, now) {
      const session = decodeSession(await call(() => client.hget(sessions, idHash)))
      if (session === undefined) return undefined
      if (session.expiresAt.getTime() <= now.getTime()) {
        await call(() => client.hdel(sessions, idHash))
        return undefined
      }
      return session
    },

    async deleteSession(idHash) {
      await call(() => client.hdel(sessions, idHash))
    },

    async readAdminAudit(options = {}) {
      const from = options.afterSeq ?? 0
      if (options.limit !== undefined && options.limit <= 0) return []
      const to = options.limit === undefined ? -1 : from + options.limit - 1
      return decodeAll(await call(() => client.lrange(keys.audit(adminAuditChain), from, to)), decodeEvent, (e) => String(e.seq).padStart(16, '0'))
    },

    readAdminAuditHead: async () => parseHead(await chainHead()),
  }
}
