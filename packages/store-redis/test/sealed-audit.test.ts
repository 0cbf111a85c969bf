import { createHash } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { verifyAuditChain, type Agent, type AuditDraft, type StatusChange } from '@lanyard/core'
import { openRedisStore } from '../src/create-redis-store.js'
import { redisKeys } from '../src/keys.js'
import { sha256Lua } from '../src/scripts/sha256.js'
import { deleteKeys, runPrefix, sharedRedisUrl } from '../src/testing/redis-servers.js'

// Audit events sealed inside the commit script (scripts/commit.ts): the Lua SHA-256 agrees
// with node:crypto, and a chain written by two stores whose predicted heads keep going stale
// (so most events are re-sealed in Lua) verifies like one sealed in Node throughout.
const prefix = runPrefix()
afterAll(async () => {
  await deleteKeys([sharedRedisUrl], prefix)
})

describe('SHA-256 in Lua', () => {
  it('matches node:crypto at every padding boundary and on multi-byte text', async () => {
    const redis = new Redis(sharedRedisUrl)
    try {
      const inputs = [...Array.from({ length: 140 }, (_, n) => 'x'.repeat(n)), 'é/€/😀 "quoted" \\ back', 'a'.repeat(1000)]
      for (const input of inputs) {
        const fromLua = await redis.eval(`${sha256Lua}\nreturn sha256(ARGV[1])`, 0, input)
        expect(fromLua, `length ${input.length}`).toBe(createHash('sha256').update(input).digest('hex'))
      }
    } finally {
      redis.disconnect()
    }
  })
})

describe('a chain sealed partly in Node, partly in Lua', () => {
  it('verifies, with every event in order, when two stores write one agent in turn and at once', async () => {
    const keyPrefix = `${prefix}-chain`
    const [a, b] = [await openRedisStore({ url: sharedRedisUrl, keyPrefix }), await openRedisStore({ url: sharedRedisUrl, keyPrefix })]
    try {
      const at = new Date('2026-01-01T00:00:00.123Z')
      const handle = 'chain@agents.test'
      const agent: Agent = { handle, owner: 'owner@acme.test', status: 'active', tier: 1, generation: 1, labels: {}, createdAt: at, updatedAt: at }
      // Details that canonical JSON must render byte for byte alike in both places.
      const draft = (action: string, n: number): AuditDraft => ({ at: new Date(at.getTime() + n), actor: 'admin:tést', action, target: handle, outcome: 'success', details: { n, z: 'é/€ "q"', a: { y: [1, 'two', null], b: true }, emoji: '😀' } })
      await a.createAgent(agent, draft('agent.created', 0))
      const suspend: StatusChange = { status: 'suspended', from: ['active'] }
      const resume: StatusChange = { status: 'active', from: ['suspended'] }
      // In turn: each store's prediction is stale after the other's write.
      for (let i = 1; i <= 10; i++) await (i % 2 === 0 ? a : b).changeAgentStatus(handle, i % 2 === 1 ? suspend : resume, draft(i % 2 === 1 ? 'agent.suspended' : 'agent.resumed', i))
      // At once: bindings from both stores race.
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).putBinding({ id: `b${i}`, handle, system: `sys${i}`, target: {}, ceiling: ['read'], minTier: 0, createdAt: at }, draft('binding.created', 100 + i))))
      const events = await a.readAudit(handle)
      expect(events).toHaveLength(31)
      expect(verifyAuditChain(events)).toMatchObject({ ok: true, length: 31 })
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1))
      expect(events.find((e) => e.action === 'agent.suspended')?.details).toEqual({ n: 1, z: 'é/€ "q"', a: { y: [1, 'two', null], b: true }, emoji: '😀' })
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })
})

describe('the chain head kept beside the chain', () => {
  it('catches the newest event deleted from the audit list: the chain falls short of the head', async () => {
    const keyPrefix = `${prefix}-head`
    const store = await openRedisStore({ url: sharedRedisUrl, keyPrefix })
    const redis = new Redis(sharedRedisUrl)
    try {
      const at = new Date('2026-01-01T00:00:00.000Z')
      const handle = 'cut@agents.test'
      await store.createAgent({ handle, owner: 'owner@acme.test', status: 'active', tier: 1, generation: 1, labels: {}, createdAt: at, updatedAt: at }, { at, actor: 'admin:test', action: 'agent.created', target: handle, outcome: 'success', details: {} })
      const newest = await store.appendAudit(handle, { at, actor: 'admin:test', action: 'test.event', target: handle, outcome: 'success', details: {} })
      expect(await store.readAuditHead(handle)).toEqual({ seq: 2, hash: newest.hash })
      // Someone with write access to Redis drops the newest event, and only that.
      await redis.rpop(redisKeys(keyPrefix).audit(handle))
      const events = await store.readAudit(handle)
      expect(verifyAuditChain(events)).toMatchObject({ ok: true, length: 1 })
      expect(verifyAuditChain(events, await store.readAuditHead(handle))).toMatchObject({ ok: false, brokenAt: 2 })
    } finally {
      redis.disconnect()
      await store.close()
    }
  })
})
