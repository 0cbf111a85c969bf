import { AgentNotFound, type DelegationRule, type DelegationStore } from '@lanyard/core'
import { decodeAll, decodeDelegation, encode } from './codec.js'
import { call } from './connection.js'
import type { RedisDatabase } from './database.js'
import { Transaction } from './transaction.js'

/** Delegation rules (#17): a hash (actor -> rule) under the subject's tag; a rule and its audit event are one commit, guarded on the chain head. */
export function createDelegationMethods(db: RedisDatabase): DelegationStore {
  const { client, keys, mutate } = db
  return {
    async putDelegation(rule, audit) {
      await mutate(async () => {
        const head = await call(() => client.get(keys.head(rule.subject)))
        if (head === null) throw new AgentNotFound(rule.subject)
        const txn = new Transaction().hset(keys.delegations(rule.subject), rule.actor, encode(rule))
        txn.appendAudit(keys, rule.subject, head, audit)
        return { result: undefined, write: { txn } }
      })
    },
    async listDelegations(subject) {
      return decodeAll(await call(() => client.hvals(keys.delegations(subject))), decodeDelegation, (r: DelegationRule) => r.actor)
    },
  }
}
