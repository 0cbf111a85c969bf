import { AgentNotFound, type BindingStore } from '@lanyard/core'
import { decodeAll, decodeBinding, encode } from './codec.js'
import { call } from './connection.js'
import type { RedisDatabase } from './database.js'
import { Transaction } from './transaction.js'

/** Bindings: one hash per agent (`bindings`), field = system. */
export function createBindingMethods(db: RedisDatabase): BindingStore {
  const { client, keys, mutate } = db
  return {
    async putBinding(binding, audit) {
      const { handle } = binding
      await mutate(async () => {
        if ((await call(() => client.exists(keys.agent(handle)))) === 0) throw new AgentNotFound(handle)
        const txn = new Transaction().hset(keys.bindings(handle), binding.system, encode(binding)).sealAudit(keys, handle, audit, db.heads)
        return { result: undefined, write: { txn } }
      })
    },

    async getBinding(handle, system) {
      return decodeBinding(await call(() => client.hget(keys.bindings(handle), system)))
    },

    async listBindings(handle) {
      return decodeAll(await call(() => client.hvals(keys.bindings(handle))), decodeBinding, (b) => b.system)
    },
  }
}
