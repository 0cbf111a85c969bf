import { AgentNotFound, type TrustRule, type TrustRuleStore } from '@lanyard/core'
import { decodeAll, decodeTrustRule, encode } from './codec.js'
import { call } from './connection.js'
import type { RedisDatabase } from './database.js'
import { indexMember, parseIndexMember } from './keys.js'
import { Transaction } from './transaction.js'

const byCreation = (r: TrustRule) => `${r.createdAt.toISOString()} ${r.id}`

/**
 * Trust rules live in a hash under their agent's tag, so a rule and its audit event are one
 * commit (guarded on the chain head). The issuer index is global (keys.ts (2)): written before
 * the commit as a superset, checked against the agent's hash on every read, its entry removed
 * after the commit that deletes the rule.
 */
export function createTrustRuleMethods(db: RedisDatabase): TrustRuleStore {
  const { client, keys, mutate } = db
  const headOf = (handle: string) => call(() => client.get(keys.head(handle)))
  return {
    async putTrustRule(rule, audit) {
      await mutate(async () => {
        const head = await headOf(rule.handle)
        if (head === null) throw new AgentNotFound(rule.handle)
        const txn = new Transaction().hset(keys.trustRules(rule.handle), rule.id, encode(rule))
        txn.appendAudit(keys, rule.handle, head, audit)
        return { result: undefined, write: { txn, before: [() => call(() => client.sadd(keys.trustByIssuer(rule.issuer), indexMember(rule.handle, rule.id)))] } }
      })
    },

    async listTrustRules(handle) {
      return decodeAll(await call(() => client.hvals(keys.trustRules(handle))), decodeTrustRule, byCreation)
    },

    async listTrustRulesByIssuer(issuer) {
      const members = await call(() => client.smembers(keys.trustByIssuer(issuer)))
      const found: TrustRule[] = []
      await Promise.all(
        members.map(async (member) => {
          const [handle, id] = parseIndexMember(member)
          const rule = handle === undefined || id === undefined ? undefined : decodeTrustRule(await call(() => client.hget(keys.trustRules(handle), id)))
          // A dangling entry (a put that never committed) is skipped, not removed: it may be a
          // put whose commit is still on its way.
          if (rule !== undefined && rule.issuer === issuer) found.push(rule)
        }),
      )
      return found.sort((a, b) => (byCreation(a) < byCreation(b) ? -1 : 1))
    },

    async deleteTrustRule(handle, id, audit) {
      return mutate(async () => {
        const [head, raw] = await Promise.all([headOf(handle), call(() => client.hget(keys.trustRules(handle), id))])
        const rule = decodeTrustRule(raw)
        if (head === null || rule === undefined) return { result: false }
        const txn = new Transaction().expect(keys.trustRules(handle), raw, id).hdel(keys.trustRules(handle), id)
        txn.appendAudit(keys, handle, head, audit)
        return { result: true, write: { txn, after: [() => call(() => client.srem(keys.trustByIssuer(rule.issuer), indexMember(handle, id)))] } }
      })
    },
  }
}
