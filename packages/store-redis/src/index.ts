/**
 * @module @lanyard/store-redis
 *
 * Lanyard's shared state for many broker replicas: the Store port on Redis or Redis Cluster
 * (every agent's keys under one hash tag, each write one guarded Lua commit with its audit
 * event), the EventBus on pub/sub, a GCRA rate limiter and a mutex. Imported by apps/broker
 * only, by name, when LANYARD_REDIS_URL is set. The embedded store's in-process rate limiter
 * and mutex are core's `createMemoryRateLimiter` and `createLocalMutex`.
 */
export { createRedisStore } from './create-redis-store.js'
export type { CreateRedisStoreOptions, RedisBackend } from './create-redis-store.js'
export type { RedisClient, RedisNode } from './connection.js'
export type { Durability } from './durability.js'
export { createRedisRateLimiter } from './redis-rate-limiter.js'
export { createRedisMutex } from './redis-mutex.js'
