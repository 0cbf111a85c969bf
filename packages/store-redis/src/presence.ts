import { AgentNotFound, type PresenceStore } from '@lanyard/core'
import { decodeAll, decodePresence, decodeReport, encode } from './codec.js'
import { call } from './connection.js'
import type { RedisDatabase } from './database.js'
import { Transaction } from './transaction.js'

/** Presence profiles (`presence`) and misuse reports (`reports`, a hash by id), under the agent's tag. */
export function createPresenceMethods(db: RedisDatabase): PresenceStore {
  const { client, keys, snapshot, mutate } = db
  return {
    async putPresence(presence, audit) {
      const { handle } = presence
      await mutate(async () => {
        const [head] = (await snapshot([['get', keys.head(handle)]])) as [string | null]
        if (head === null) throw new AgentNotFound(handle)
        const txn = new Transaction().set(keys.presence(handle), encode(presence))
        txn.appendAudit(keys, handle, head, audit)
        return { result: undefined, write: { txn } }
      })
    },

    async getPresence(handle) {
      return decodePresence(await call(() => client.get(keys.presence(handle))))
    },

    async addReport(report) {
      const { handle } = report
      await mutate(async () => {
        const [head, existing] = (await snapshot([
          ['get', keys.head(handle)],
          ['hexists', keys.reports(handle), report.id],
        ])) as [string | null, number]
        if (head === null) throw new AgentNotFound(handle)
        if (existing === 1) return { result: undefined }
        // Guarded on the head (the agent exists) and on the id still being free: no audit event, see the port.
        const txn = new Transaction().expect(keys.head(handle), head).expect(keys.reports(handle), null, report.id).hset(keys.reports(handle), report.id, encode(report))
        return { result: undefined, write: { txn } }
      })
    },

    async listReports(handle, limit) {
      const all = decodeAll(await call(() => client.hvals(keys.reports(handle))), decodeReport, (r) => `${r.receivedAt.toISOString()} ${r.id}`).reverse()
      return limit === undefined ? all : all.slice(0, limit)
    },
  }
}
