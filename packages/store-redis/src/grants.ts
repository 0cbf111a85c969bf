import { AgentNotActive, AgentNotFound, GrantNotFound, StoreUnavailable, checkGrantBinding, isLanyardError, settledGrant, type Grant, type GrantStore } from '@lanyard/core'
import { readAgent } from './agents.js'
import { decodeAll, decodeBinding, decodeGrant, encode } from './codec.js'
import { call } from './connection.js'
import { noop, type RedisDatabase } from './database.js'
import { indexMember, parseIndexMember } from './keys.js'
import { Transaction } from './transaction.js'

/**
 * Each agent's open grants (pending, or live) in a sorted set beside its grants hash, so that a
 * revocation reads what is still open instead of every grant the agent ever had: pending ones
 * scored past any expiry, live ones by expiry. Kept in the same commits as the grants; entries
 * past their expiry are trimmed when the next grant begins. `openGrantsComplete` marks an agent
 * whose set holds all of them: every agent created since; an agent from before it gets its set
 * filled by its next revocation, which reads the whole hash once.
 */
const pendingScore = 8.64e15

export function openScore(grant: Grant): number | undefined {
  if (grant.status === 'pending') return pendingScore
  if (grant.status === 'live') return grant.expiresAt?.getTime() ?? pendingScore
  return undefined
}

/** Keeps `grant`'s entry in its agent's open set in step with its status, inside `txn`. */
export function trackOpen(txn: Transaction, key: string, grant: Grant): Transaction {
  const score = openScore(grant)
  return score === undefined ? txn.zrem(key, grant.id) : txn.zadd(key, score, grant.id)
}

export async function readGrant(db: RedisDatabase, handle: string, grantId: string): Promise<Grant | undefined> {
  const { client, keys } = db
  return decodeGrant(await call(() => client.hget(keys.grants(handle), grantId)))
}

/** Grants (`grants` hash per agent, `openGrants`), the whois sets and the pending index. */
export function createGrantMethods(db: RedisDatabase): GrantStore {
  const { client, keys, mutate, index } = db
  return {
    async beginGrant(grant, generation, audit) {
      const { handle } = grant
      const pending = indexMember(handle, grant.id)
      try {
        // One step, no read: the script checks status and generation against the agent record
        // that a revocation changes in its own single step, and the binding (this grant's
        // version, not revoked) that a binding revoke or replace changes in its own single
        // step; it seals the event on whatever head the chain has. A revocation that commits
        // first refuses this; one that commits after sees this grant open and gives it a task.
        await index.zadd(keys.pendingGrants, grant.createdAt.getTime(), pending)()
        for (let attempt = 1; ; attempt++) {
          const txn = new Transaction().expectActive(keys.agent(handle), generation).expectBinding(keys.bindings(handle), grant.system, grant.bindingId)
          txn.hset(keys.grants(handle), grant.id, encode({ ...grant, status: 'pending' }))
          trackOpen(txn, keys.openGrants(handle), { ...grant, status: 'pending' }).zremrangebyscore(keys.openGrants(handle), '-inf', `(${grant.createdAt.getTime()}`)
          txn.sealAudit(keys, handle, audit, db.heads)
          if (await db.commit(txn)) break
          // Refused: say why, from the records as they are now (the refusals of exchange.ts).
          const [agent, binding] = await Promise.all([readAgent(db, handle), call(() => client.hget(keys.bindings(handle), grant.system))])
          if (agent === undefined) throw new AgentNotFound(handle)
          if (agent.status !== 'active') throw new AgentNotActive(handle, agent.status)
          if (agent.generation !== generation) throw new AgentNotActive(handle, 'changed since the token was issued')
          checkGrantBinding(grant, decodeBinding(binding))
          // Both hold again (a status flip and back, between commit and read): try again, a few times.
          if (attempt >= 5) throw new StoreUnavailable({ detail: 'the grant could not begin: its agent or binding kept changing' })
        }
      } catch (error) {
        // A definite refusal: the pending-index entry written before the commit points at
        // nothing. (After StoreUnavailable the commit may have landed; the entry must stay.)
        if (isLanyardError(error) && error.code !== 'ERR_STORE_UNAVAILABLE') await index.zrem(keys.pendingGrants, pending)().catch(noop)
        throw error
      }
    },

    async settleGrant(handle, grantId, settlement, audit) {
      return mutate(async () => {
        const record = await call(() => client.hget(keys.grants(handle), grantId))
        const grant = decodeGrant(record)
        if (grant === undefined) throw new GrantNotFound(grantId)
        // The status machine decides (GrantNotPending when settled already); this writes its answer.
        const settled = settledGrant(grant, settlement, audit.at)
        // Guarded on the grant as read (a second settler must not win), not on the chain head:
        // the event is sealed in the commit, so the agent's other exchanges cannot make it retry.
        const txn = trackOpen(new Transaction().expect(keys.grants(handle), record, grantId).hset(keys.grants(handle), grantId, encode(settled)), keys.openGrants(handle), settled)
        txn.sealAudit(keys, handle, audit, db.heads)
        const whois = Object.entries(settled.index).map(([key, value]) => index.sadd(keys.whois(key, value), indexMember(handle, grantId)))
        return { result: settled, write: { txn, before: whois, after: [index.zrem(keys.pendingGrants, indexMember(handle, grantId))] } }
      })
    },

    getGrant: (handle, grantId) => readGrant(db, handle, grantId),

    async listGrants(handle, status) {
      const grants = decodeAll(await call(() => client.hvals(keys.grants(handle))), decodeGrant, (g) => `${g.createdAt.toISOString()} ${g.id}`)
      return status === undefined ? grants : grants.filter((g) => g.status === status)
    },

    async findGrants(key, value) {
      // The whois set is written before the grant settles, so it may name a grant whose
      // settlement never committed: each is checked against the grant's own index.
      const members = await call(() => client.smembers(keys.whois(key, value)))
      const grants = await Promise.all(
        members.map(async (member) => {
          const [handle, grantId] = parseIndexMember(member)
          return handle === undefined || grantId === undefined ? undefined : readGrant(db, handle, grantId)
        }),
      )
      return grants.filter((g): g is Grant => g !== undefined && g.index[key] === value).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1))
    },

    async listPendingGrants(before) {
      const members = await call(() => client.zrangebyscore(keys.pendingGrants, '-inf', `(${before.getTime()}`))
      const found: Grant[] = []
      for (const member of members) {
        const [handle, grantId] = parseIndexMember(member)
        if (handle === undefined || grantId === undefined) continue
        const grant = await readGrant(db, handle, grantId)
        if (grant?.status === 'pending' && grant.createdAt < before) found.push(grant)
        // Settled, but the removal after its commit was lost: repair. A missing grant may be a
        // beginGrant between index write and commit, so its entry stays.
        else if (grant !== undefined && grant.status !== 'pending') await index.zrem(keys.pendingGrants, member)().catch(noop)
      }
      return found
    },
  }
}
