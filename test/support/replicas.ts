import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { deleteKeys, runPrefix } from '@lanyard/store-redis/testing'
import { startTestBroker, type TestBroker } from './broker.js'
import { memorySystem } from './memory.js'

// Starting, killing and clustering redis-server processes is store-redis's own test harness;
// the system suites use the same one rather than a second copy.
export { deleteKeys, runPrefix, sharedRedisUrl, startCluster, startRedis, type RedisCluster, type RedisProcess } from '@lanyard/store-redis/testing'

export interface ReplicaOptions {
  /** One broker per entry, each on that Redis URL (replicas may log in as different users). */
  readonly redisUrls: readonly string[]
  /** Shared by every replica: one deployment. */
  readonly keyPrefix: string
  /** Redis Cluster: each URL is a seed node. */
  readonly cluster?: boolean
  /** Extra top-level config for every replica (systems, cascade, rateLimits, ...). */
  readonly config?: Record<string, unknown>
  /**
   * `store.durability`; default `volatile`: the shared Redis and the test clusters run without
   * an append-only file, so the default (`fsync`) would refuse them, rightly.
   */
  readonly durability?: 'fsync' | 'volatile' | { replicas: number; timeoutMs: number }
}

/**
 * Broker replicas of one deployment in this process: one Redis key prefix, one master key, one
 * admin token (each replica is a TestBroker whose calls carry it) and one issuer, as behind a
 * load balancer: a token or assertion made for one replica is good at every other. Started one
 * after another so that the first creates the signing key and the others read it.
 */
export async function startReplicas(options: ReplicaOptions): Promise<TestBroker[]> {
  const adminToken = `test-admin-${randomBytes(12).toString('hex')}`
  const issuer = `https://${options.keyPrefix}.replicas.test`
  const replicas: TestBroker[] = []
  try {
    for (const url of options.redisUrls) {
      replicas.push(
        await startTestBroker({
          adminToken,
          config: { issuer, ...options.config, store: { type: 'redis', url: { env: 'LANYARD_REDIS_URL' }, keyPrefix: options.keyPrefix, cluster: options.cluster ?? false, durability: options.durability ?? 'volatile' } },
          env: { LANYARD_REDIS_URL: url },
        }),
      )
    }
  } catch (error) {
    await Promise.allSettled(replicas.map((replica) => replica.close()))
    throw error
  }
  return replicas
}

/** One command against a Redis (admin calls a test makes: ACL, CLIENT LIST, PUBSUB). */
export async function redisCommand(url: string, command: string, ...args: Array<string | number>): Promise<unknown> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 })
  try {
    await redis.connect()
    return await redis.call(command, ...args)
  } finally {
    redis.disconnect()
  }
}

/**
 * Three replicas of one deployment on `redis` (one Redis, or a Cluster's first seed), set up for
 * a race against a revocation: one `mem` system with 5 ms of upstream latency, rate limits out
 * of the way, and every replica polling for cascade tasks often (the cascade is shared, not the
 * revoker's alone). `cleanups` gets their closing and the deletion of their keys.
 */
export async function startRaceReplicas(redis: { urls: string[]; cluster: boolean }, cleanups: Array<() => Promise<void>>): Promise<{ replicas: [TestBroker, TestBroker, TestBroker]; mem: ReturnType<typeof memorySystem> }> {
  const keyPrefix = runPrefix()
  const mem = memorySystem('mem', { latencyMs: 5 })
  const replicas = await startReplicas({
    redisUrls: [redis.urls[0]!, redis.urls[0]!, redis.urls[0]!],
    keyPrefix,
    cluster: redis.cluster,
    config: {
      systems: [mem.system],
      rateLimits: { exchange: { ratePerSecond: 100_000, burst: 100_000 }, authenticate: { ratePerSecond: 100_000, burst: 100_000 } },
      cascade: { pollMs: 50, leaseMs: 2000, backoffBaseMs: 50, backoffMaxMs: 200 },
    },
  })
  cleanups.push(async () => {
    await Promise.allSettled(replicas.map((replica) => replica.close()))
    await deleteKeys(redis.urls, keyPrefix)
  })
  return { replicas: replicas as [TestBroker, TestBroker, TestBroker], mem }
}
