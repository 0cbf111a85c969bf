import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { startTestBroker, type TestBroker } from './broker.js'

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
