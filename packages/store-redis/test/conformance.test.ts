import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { Redis } from 'ioredis'
import type { BusEvent } from '@lanyard/core'
import { storeConformance } from '@lanyard/core/testing'
import { createRedisStore } from '../src/index.js'
import { openRedisStore } from '../src/create-redis-store.js'
import { deleteKeys, runPrefix, sharedRedisUrl, startCluster, type RedisCluster } from '../src/testing/redis-servers.js'

// Each case gets a fresh prefix (an empty store); replicas open another connection on the same
// prefix, as a second broker would. Everything under this run's prefix is deleted afterwards.
const prefix = runPrefix()
let cases = 0

function freshPrefix(): string {
  cases += 1
  return `${prefix}-${cases}`
}

const prefixes = new WeakMap<object, string>()

describe('single Redis', () => {
  afterAll(async () => {
    await deleteKeys([sharedRedisUrl], prefix)
  })

  storeConformance({
    name: 'redis',
    async create() {
      const keyPrefix = freshPrefix()
      const store = await openRedisStore({ url: sharedRedisUrl, keyPrefix })
      prefixes.set(store, keyPrefix)
      return store
    },
    replica: (store) => openRedisStore({ url: sharedRedisUrl, keyPrefix: prefixes.get(store)! }),
  })
})

describe('Redis Cluster, 3 masters', () => {
  let cluster: RedisCluster

  beforeAll(async () => {
    cluster = await startCluster()
  })
  afterAll(async () => {
    await cluster?.stop()
  })

  const open = (keyPrefix: string) => openRedisStore({ url: cluster.url, cluster: true, nodes: cluster.nodes, keyPrefix })
  storeConformance({
    name: 'redis cluster',
    async create() {
      const keyPrefix = freshPrefix()
      const store = await open(keyPrefix)
      prefixes.set(store, keyPrefix)
      return store
    },
    replica: (store) => open(prefixes.get(store)!),
  })

  // Runs after the kit: its agents must have landed on every master, or the run above never
  // crossed a slot boundary and proved nothing about hash tags.
  it('spread the agents of the run above over all three masters', async () => {
    for (const node of cluster.nodes) {
      const redis = new Redis(node.port, node.host)
      try {
        const [, agentKeys] = await redis.scan('0', 'MATCH', `{${prefix}-*}:agent`, 'COUNT', 100_000)
        expect(agentKeys.length, `agents on ${node.port}`).toBeGreaterThan(0)
      } finally {
        redis.disconnect()
      }
    }
  })

  // Last: it kills a master, which leaves the cluster without full slot coverage.
  it('bus: subscribes on one master and moves to another when that node dies', async () => {
    const keyPrefix = `${prefix}-bus`
    const { store, bus } = await createRedisStore({ url: cluster.url, cluster: true, nodes: cluster.nodes, keyPrefix, durability: 'volatile' })
    const received: BusEvent[] = []
    bus.subscribe((event) => received.push(event))
    const event = (generation: number): BusEvent => ({ type: 'agent.changed', handle: 'c@agents.cluster.test', status: 'active', generation })
    const subscribedOn = async () => {
      const ports: number[] = []
      for (const node of cluster.nodes) {
        const redis = new Redis(node.port, node.host, { retryStrategy: () => null })
        redis.on('error', () => undefined)
        try {
          const clients = (await redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string
          if (clients.includes(` name=${keyPrefix}:bus `)) ports.push(node.port)
        } catch {
          // a killed node
        } finally {
          redis.disconnect()
        }
      }
      return ports
    }
    try {
      await vi.waitFor(() => expect(bus.healthy()).toBe(true))
      await bus.publish(event(1))
      await vi.waitFor(() => expect(received).toEqual([event(1)]))
      const [first] = await subscribedOn()
      expect(first).toBeDefined()

      await cluster.kill(first!)
      await vi.waitFor(() => expect(bus.healthy()).toBe(false))
      await vi.waitFor(() => expect(bus.healthy()).toBe(true), { timeout: 10_000 })
      const [second] = await subscribedOn()
      expect(second).not.toBe(first)
      const survivor = new Redis(second!, '127.0.0.1')
      try {
        await survivor.publish(`${keyPrefix}:events`, JSON.stringify(event(2)))
      } finally {
        survivor.disconnect()
      }
      await vi.waitFor(() => expect(received).toEqual([event(1), event(2)]))
    } finally {
      await Promise.allSettled([store.close(), bus.close()])
    }
  })
})
