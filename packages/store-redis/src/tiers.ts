import { AgentNotFound, type TierRecord, type TierStore } from '@lanyard/core'
import { decodeAgent, encode } from './codec.js'
import { call } from './connection.js'
import type { RedisDatabase } from './database.js'
import { Transaction } from './transaction.js'

function decodeTierRecord(text: string | null): TierRecord | undefined {
  if (text === null) return undefined
  const record = JSON.parse(text) as TierRecord & { since: string; lastIncident?: { at: string } }
  return { ...record, since: new Date(record.since), ...(record.lastIncident === undefined ? {} : { lastIncident: { ...record.lastIncident, at: new Date(record.lastIncident.at) } }) } as TierRecord
}

/**
 * Trust records: one string per agent (`tier`) under its tag. A counter-only step commits
 * guarded on the record it read; a tier change also rewrites the agent record and appends
 * its audit event, guarded on the chain head too (so it cannot overwrite a concurrent status
 * change: that moved the head).
 */
export function createTierMethods(db: RedisDatabase): TierStore {
  const { client, keys, snapshot, mutate } = db
  return {
    async getTierRecord(handle) {
      return decodeTierRecord(await call(() => client.get(keys.tier(handle))))
    },
    async applyTierStep(handle, step, audit) {
      return mutate(async () => {
        const [head, agentRecord, tierRecord] = (await snapshot([
          ['get', keys.head(handle)],
          ['get', keys.agent(handle)],
          ['get', keys.tier(handle)],
        ])) as [string | null, string | null, string | null]
        const agent = decodeAgent(agentRecord)
        if (agent === undefined) throw new AgentNotFound(handle)
        const result = step(decodeTierRecord(tierRecord), agent)
        const txn = new Transaction().expect(keys.tier(handle), tierRecord).expect(keys.agent(handle), agentRecord).set(keys.tier(handle), encode(result.record))
        if (result.change !== undefined) txn.set(keys.agent(handle), encode({ ...agent, tier: result.record.tier, updatedAt: result.record.since }))
        const draft = audit(result)
        if (draft !== undefined) txn.appendAudit(keys, handle, head, draft)
        return { result, write: { txn } }
      })
    },
  }
}
