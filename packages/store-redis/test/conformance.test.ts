import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { storeConformance } from '@lanyard/core/testing'
import { openRedisStore } from '../src/redis-store.js'
import { deleteKeys, runPrefix, sharedRedisUrl, startCluster, type RedisCluster } from './redis-servers.js'

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
})
