import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { Redis } from 'ioredis'
import type { BusEvent } from '@lanyard/core'
import { createRedisStore, type RedisBackend } from '../src/index.js'
import { runPrefix, sharedRedisUrl } from '../src/testing/redis-servers.js'

// Two replicas on one prefix of the shared Redis. Subscriber loss is caused by killing only
// this test's subscriber connection (found by its client name), never anyone else's.
const admin = new Redis(sharedRedisUrl)
const opened: RedisBackend[] = []

async function replica(keyPrefix: string): Promise<RedisBackend> {
  const backend = await createRedisStore({ url: sharedRedisUrl, keyPrefix, durability: 'volatile' })
  opened.push(backend)
  return backend
}

async function killSubscriber(keyPrefix: string): Promise<void> {
  const clients = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string
  const ids = clients.split('\n').filter((line) => line.includes(` name=${keyPrefix}:bus `)).map((line) => /^id=(\d+)/.exec(line)?.[1])
  expect(ids).toHaveLength(1)
  await admin.call('CLIENT', 'KILL', 'ID', ids[0]!)
}

const changed = (generation: number): BusEvent => ({ type: 'agent.changed', handle: 'bus@agents.bus.test', status: 'active', generation })

afterEach(async () => {
  await Promise.allSettled(opened.splice(0).flatMap(({ store, bus }) => [store.close(), bus.close()]))
})
afterAll(() => {
  admin.disconnect()
})

describe('event bus on Redis pub/sub', () => {
  it('is unhealthy until subscribed, then carries events between replicas and ignores malformed messages', async () => {
    const prefix = runPrefix()
    const a = await replica(prefix)
    const b = await replica(prefix)
    expect(b.bus.healthy()).toBe(false)
    await vi.waitFor(() => expect(b.bus.healthy()).toBe(true))
    const all: BusEvent[] = []
    b.bus.subscribe((event) => all.push(event))
    const received: BusEvent[] = []
    const unsubscribe = b.bus.subscribe((event) => received.push(event))
    b.bus.subscribe(() => {
      throw new Error('a failing listener')
    })

    await admin.publish(`${prefix}:events`, 'not json')
    await admin.publish(`${prefix}:events`, JSON.stringify({ type: 'agent.changed', handle: 'x@y.test', status: 'gone', generation: 1 }))
    await a.bus.publish(changed(2))
    await vi.waitFor(() => expect(received).toEqual([changed(2)]))

    unsubscribe()
    await a.bus.publish(changed(3))
    await b.bus.publish(changed(4))
    await vi.waitFor(() => expect(all).toEqual([changed(2), changed(3), changed(4)]))
    expect(received).toEqual([changed(2)])
  })

  it('turns unhealthy when its subscriber connection drops and healthy again only once resubscribed', async () => {
    const prefix = runPrefix()
    const a = await replica(prefix)
    await vi.waitFor(() => expect(a.bus.healthy()).toBe(true))
    const received: BusEvent[] = []
    a.bus.subscribe((event) => received.push(event))

    await killSubscriber(prefix)
    await vi.waitFor(() => expect(a.bus.healthy()).toBe(false))
    // The store is unaffected: only the bus lost its connection.
    await expect(a.store.ping()).resolves.toBeUndefined()
    await vi.waitFor(() => expect(a.bus.healthy()).toBe(true), { timeout: 5_000 })

    const publisher = new Redis(sharedRedisUrl)
    try {
      await publisher.publish(`${prefix}:events`, JSON.stringify(changed(7)))
    } finally {
      publisher.disconnect()
    }
    await vi.waitFor(() => expect(received).toEqual([changed(7)]))
  })

  it('after close: unhealthy, publish refused with StoreUnavailable', async () => {
    const { bus } = await replica(runPrefix())
    await vi.waitFor(() => expect(bus.healthy()).toBe(true))
    await bus.close()
    expect(bus.healthy()).toBe(false)
    await expect(bus.publish(changed(1))).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' })
    await expect(bus.close()).resolves.toBeUndefined()
  })
})
