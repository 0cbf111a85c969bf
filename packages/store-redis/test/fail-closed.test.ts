import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { StoreUnavailable, verifyAuditChain, type Agent, type AuditDraft, type BusEvent, type EventBus, type Store } from '@lanyard/core'
import { FakeClock } from '@lanyard/core/testing'
import { createRedisStore, type RedisBackend } from '../src/index.js'
import { runPrefix, startRedis, type RedisProcess } from '../src/testing/redis-servers.js'

// One private redis-server (append-only, fsync always) that the cases kill, pause and restart
// on the same port, under a store and bus that are never reopened: recovery must happen inside
// the running process.
const clock = new FakeClock()
const draft = (action: string, target: string): AuditDraft => ({ at: clock.now(), actor: 'admin:test', action, target, outcome: 'success', details: {} })

function agentFor(handle: string): Agent {
  return { handle, owner: 'owner@acme.test', status: 'active', tier: 1, generation: 1, labels: {}, createdAt: clock.now(), updatedAt: clock.now() }
}

async function expectUnavailable(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', message: new StoreUnavailable().message })
}

/** Until Redis answers again through this very store (ioredis reconnects within a second). */
async function recovered(store: Store): Promise<void> {
  await vi.waitFor(() => store.ping(), { timeout: 10_000, interval: 50 })
}

describe('Redis goes away under a running store and bus', () => {
  let server: RedisProcess
  let backend: RedisBackend
  let store: Store
  let bus: EventBus

  beforeAll(async () => {
    server = await startRedis({ persist: true })
    backend = await createRedisStore({ url: server.url, keyPrefix: runPrefix(), clock })
    ;({ store, bus } = backend)
    await vi.waitFor(() => expect(bus.healthy()).toBe(true))
  })
  afterAll(async () => {
    await Promise.allSettled([store?.close(), bus?.close()])
    await server?.stop()
  })

  it('killed: every call rejects with StoreUnavailable at once and the bus turns unhealthy; restarted: both work again without reopening', async () => {
    const agent = agentFor('before@agents.fail.test')
    await store.createAgent(agent, draft('agent.created', agent.handle))

    await server.kill()
    await vi.waitFor(() => expect(bus.healthy()).toBe(false))
    const started = performance.now()
    await expectUnavailable(store.getAgent(agent.handle))
    await expectUnavailable(store.changeAgentStatus(agent.handle, { status: 'suspended', from: ['active'] }, draft('agent.suspended', agent.handle)))
    await expectUnavailable(store.createAgent(agentFor('during@agents.fail.test'), draft('agent.created', 'during@agents.fail.test')))
    await expectUnavailable(store.appendAudit(agent.handle, draft('test.event', agent.handle)))
    await expectUnavailable(store.ping())
    await expectUnavailable(bus.publish({ type: 'agent.changed', handle: agent.handle, status: 'active', generation: 1 }))
    // Refused by the driver, not timed out: no offline queue, no waiting for Redis to return.
    expect(performance.now() - started).toBeLessThan(1_000)

    await server.restart()
    await recovered(store)
    expect(await store.getAgent(agent.handle)).toEqual(agent)
    expect(await store.getAgent('during@agents.fail.test')).toBeUndefined()
    const suspended = await store.changeAgentStatus(agent.handle, { status: 'suspended', from: ['active'] }, draft('agent.suspended', agent.handle))
    expect(suspended.generation).toBe(2)
    expect((await store.readAudit(agent.handle)).map((e) => e.action)).toEqual(['agent.created', 'agent.suspended'])

    // The bus is healthy again only once resubscribed: a message published then arrives.
    await vi.waitFor(() => expect(bus.healthy()).toBe(true), { timeout: 10_000 })
    const received: BusEvent[] = []
    bus.subscribe((event) => received.push(event))
    const event: BusEvent = { type: 'agent.changed', handle: agent.handle, status: 'suspended', generation: 2 }
    await bus.publish(event)
    await vi.waitFor(() => expect(received).toEqual([event]))
  })

  it('writes in flight when Redis dies either committed whole or not at all: the chain still verifies after restart', async () => {
    const agent = agentFor('inflight@agents.fail.test')
    await store.createAgent(agent, draft('agent.created', agent.handle))
    // 40 contending appends commit one by one; Redis dies once five have been acknowledged.
    let acknowledgedBeforeKill = 0
    let killed: Promise<void> | undefined
    const appends = Array.from({ length: 40 }, (_, i) =>
      store.appendAudit(agent.handle, draft('test.event', `t-${i}`)).then((event) => {
        if (++acknowledgedBeforeKill === 5) killed = server.kill()
        return event
      }),
    )
    const results = await Promise.allSettled(appends)
    await killed
    expect(results.some((r) => r.status === 'rejected')).toBe(true)
    for (const result of results) if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' })
    const acknowledged = results.filter((r) => r.status === 'fulfilled').length
    expect(acknowledged).toBeGreaterThanOrEqual(5)

    await server.restart()
    await recovered(store)
    const chain = await store.readAudit(agent.handle)
    expect(verifyAuditChain(chain)).toMatchObject({ ok: true })
    // Acknowledged appends survived (fsync always); an unacknowledged one may have landed too.
    expect(chain.length).toBeGreaterThanOrEqual(1 + acknowledged)
    const next = await store.appendAudit(agent.handle, draft('test.after', agent.handle))
    expect(next.seq).toBe(chain.length + 1)
  })

  it('paused (connected, silent): calls give up with StoreUnavailable after the command timeout', async () => {
    await recovered(store)
    server.pause()
    try {
      const started = performance.now()
      await expectUnavailable(store.getAgent('before@agents.fail.test'))
      expect(performance.now() - started).toBeLessThan(4_000)
    } finally {
      server.resume()
    }
    await recovered(store)
  })
})
