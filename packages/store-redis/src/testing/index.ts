/**
 * @module @lanyard/store-redis/testing
 *
 * Redis for tests: the shared server's URL, a run's key prefix and its cleanup, and throwaway
 * redis-server processes (single or a 3-master Cluster) on spare ports. Imported by this
 * package's tests and the root test/ suites only; it spawns processes, so runtime code never
 * imports this entry.
 */
export { deleteKeys, runPrefix, sharedRedisUrl, startCluster, startRedis } from './redis-servers.js'
export type { RedisCluster, RedisProcess } from './redis-servers.js'
