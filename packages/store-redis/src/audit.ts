import { AgentNotFound, type AuditDraft, type AuditStore } from '@lanyard/core'
import { headOf } from './agents.js'
import { decodeAll, decodeEvent } from './codec.js'
import { call } from './connection.js'
import type { RedisDatabase } from './database.js'
import { parseHead, Transaction } from './transaction.js'

/** Each agent's chain: the `audit` list and its `head`, appended by `Transaction.appendAudit`
 * inside every write of the agent (transaction.ts). */
export function createAuditMethods(db: RedisDatabase): AuditStore {
  const { client, keys, mutate } = db
  return {
    async appendAudit(handle, audit: AuditDraft) {
      return mutate(async () => {
        const head = await headOf(db, handle)
        if (head === null) throw new AgentNotFound(handle)
        const txn = new Transaction()
        const event = txn.appendAudit(keys, handle, head, audit)
        return { result: event, write: { txn } }
      })
    },

    async readAudit(handle, options = {}) {
      const from = options.afterSeq ?? 0
      const to = options.limit === undefined ? -1 : from + options.limit - 1
      if (options.limit !== undefined && options.limit <= 0) return []
      // List position i holds seq i + 1: the chain has no gaps and is only appended to.
      return decodeAll(await call(() => client.lrange(keys.audit(handle), from, to)), decodeEvent, (e) => String(e.seq).padStart(16, '0'))
    },

    // The `head` key ("seq:hash"), set by the same guarded commit that appends each event.
    readAuditHead: async (handle) => parseHead(await headOf(db, handle)),
  }
}
