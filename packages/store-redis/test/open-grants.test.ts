import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import type { AuditDraft, Binding, Grant, Store } from '@lanyard/core'
import { redisKeys, type RedisKeys } from '../src/keys.js'
import { openRedisStore } from '../src/create-redis-store.js'
import { Transaction } from '../src/transaction.js'
import { deleteKeys, runPrefix, sharedRedisUrl } from '../src/testing/redis-servers.js'

// Redis only: each agent's open grants live in a sorted set beside its grants hash (see
// grants.ts). The conformance kit checks what a revocation takes; this file checks the set
// itself: filled once for an agent from before it existed, trimmed of expired entries.
const prefix = runPrefix()
const handle = 'history@agents.redis.test'
const t0 = Date.UTC(2030, 0, 1)
const at = (ms: number) => new Date(t0 + ms)
const draft = (action: string, when: number): AuditDraft => ({ at: at(when), actor: 'admin:test', action, target: handle, outcome: 'success', details: {} })

describe('open grants on Redis', () => {
  let store: Store
  let redis: Redis
  let keys: RedisKeys
  let cases = 0
  let grants = 0

  beforeEach(async () => {
    const keyPrefix = `${prefix}-${++cases}`
    keys = redisKeys(keyPrefix)
    store = await openRedisStore({ url: sharedRedisUrl, keyPrefix })
    redis = new Redis(sharedRedisUrl)
    await store.createAgent({ handle, owner: 'sec@acme.test', status: 'active', tier: 1, generation: 1, labels: {}, createdAt: at(0), updatedAt: at(0) }, draft('agent.created', 0))
  })
  afterEach(async () => {
    redis.disconnect()
    await store.close()
  })
  afterAll(async () => {
    await deleteKeys([sharedRedisUrl], prefix)
  })

  async function binding(system: string): Promise<Binding> {
    const created: Binding = { id: `binding-${system}`, handle, system, target: {}, ceiling: ['read'], minTier: 0, createdAt: at(0) }
    await store.putBinding(created, draft('binding.put', 0))
    return created
  }

  /** A grant begun at `when`; settled live until `until` unless it stays pending. */
  async function grant(on: Binding, when: number, until?: number): Promise<Grant> {
    const begun: Grant = { id: `grant-${++grants}`, handle, bindingId: on.id, system: on.system, connectorType: 'memory', scopes: ['read'], status: 'pending', createdAt: at(when), index: {} }
    await store.beginGrant(begun, 1, draft('grant.requested', when))
    if (until === undefined) return begun
    return store.settleGrant(handle, begun.id, { status: 'live', expiresAt: at(until), ref: {}, index: {} }, draft('grant.issued', when))
  }

  const open = (now: number) => redis.zrangebyscore(keys.openGrants(handle), `(${t0 + now}`, '+inf')
  const revoke = async (scope: { kind: 'agent' } | { kind: 'binding'; system: string; bindingId: string }, when: number) =>
    (await store.startRevocation({ id: `revocation-${when}`, scope: { ...scope, handle }, reason: 'test', actor: 'admin:test', createdAt: at(when) }, draft('revoked', when))).revocation.tasks.map((task) => task.grantId).sort()

  it('fills the set of an agent from before it, from its whole history, at its next revocation', async () => {
    const [mem, other] = [await binding('mem'), await binding('other')]
    const live = await grant(mem, 1_000, 3_600_000)
    const elsewhere = await grant(other, 2_000, 3_600_000)
    const pending = await grant(mem, 3_000)
    const expired = await grant(mem, 4_000, 5_000)
    // What a store from before the set left: the grants hash alone.
    await redis.del(keys.openGrants(handle), keys.openGrantsComplete(handle))

    expect(await revoke({ kind: 'binding', system: 'other', bindingId: other.id }, 10_000)).toEqual([elsewhere.id])
    expect(await redis.get(keys.openGrantsComplete(handle))).toBe('1')
    expect((await open(10_000)).sort()).toEqual([live.id, elsewhere.id, pending.id].sort())
    // The next one reads the set: the expired grant is in neither.
    expect(await revoke({ kind: 'agent' }, 20_000)).toEqual([live.id, elsewhere.id, pending.id].sort())
    expect(await revoke({ kind: 'agent' }, 20_001)).not.toContain(expired.id)
  })

  it('keeps the set to what is open: settled failed or revoked leave it, expired entries go when a grant begins', async () => {
    const mem = await binding('mem')
    const short = await grant(mem, 1_000, 2_000)
    const failed = await grant(mem, 1_000)
    await store.settleGrant(handle, failed.id, { status: 'failed', error: 'upstream refused' }, draft('grant.failed', 1_000))
    const kept = await grant(mem, 1_500, 3_600_000)
    expect(await redis.zrange(keys.openGrants(handle), 0, -1)).toEqual([short.id, kept.id])

    const later = await grant(mem, 5_000)
    expect((await redis.zrange(keys.openGrants(handle), 0, -1)).sort()).toEqual([kept.id, later.id].sort())

    // Revoked by a cascade task: out of the set with the task's commit.
    await store.settleGrant(handle, later.id, { status: 'live', expiresAt: at(3_600_000), ref: {}, index: {} }, draft('grant.issued', 5_000))
    expect(await revoke({ kind: 'binding', system: 'mem', bindingId: mem.id }, 6_000)).toEqual([kept.id, later.id].sort())
    await store.claimTasks('worker', at(6_000), 60_000, 10)
    await store.completeTask('worker', 'revocation-6000', later.id, { outcome: { kind: 'revoked' }, grantStatus: 'revoked' }, at(6_500), draft('grant.revoked', 6_500))
    expect(await redis.zrange(keys.openGrants(handle), 0, -1)).toEqual([kept.id])
  })

  it("a binding revocation's late tasks (grants opened after its read) are every open grant on the system, whichever binding version issued it", async () => {
    const [first, other] = [await binding('mem'), await binding('other')]
    const underFirst = await grant(first, 1_000)
    // The same ceiling: the replacement covers the open grant and cuts nothing.
    const second: Binding = { ...first, id: 'binding-mem-2', createdAt: at(2_000) }
    await store.putBinding(second, draft('binding.replaced', 2_000))
    const underSecond = await grant(second, 3_000)
    await grant(other, 3_000)
    // The script's step alone, as if every grant had begun after the revocation read: none seen.
    const txn = new Transaction().tasksForLateGrants({
      openKey: keys.openGrants(handle), grantsKey: keys.grants(handle), tasksKey: keys.tasks(handle, 'late'), revocationsKey: keys.revocations(handle),
      afterMs: t0 + 5_000, seen: [], system: 'mem', revocationId: 'late', runningJson: '', task: { revocationId: 'late', handle, status: 'pending', attempts: 0 },
    })
    expect(await txn.commit(redis)).toBe(true)
    expect(txn.lateTasks.map((task) => (JSON.parse(task) as { grantId: string }).grantId).sort()).toEqual([underFirst.id, underSecond.id].sort())
    expect(Object.keys(await redis.hgetall(keys.tasks(handle, 'late'))).sort()).toEqual([underFirst.id, underSecond.id].sort())
  })
})
