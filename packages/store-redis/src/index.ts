/**
 * @module @lanyard/store-redis
 *
 * Lanyard's shared state for many broker replicas: the Store port on Redis or Redis Cluster
 * (every agent's keys under one hash tag, each write one guarded Lua commit with its audit
 * event), the EventBus on pub/sub, and a GCRA rate limiter. Imported by apps/broker only, by
 * name, when LANYARD_REDIS_URL is set. `createMemoryRateLimiter` is the same limiter for the
 * embedded, single-process deployment.
 */
export { createRedisStore } from './create-redis-store.js'
export type { CreateRedisStoreOptions, RedisBackend } from './create-redis-store.js'
export type { RedisClient, RedisNode } from './connection.js'
export { createRedisRateLimiter } from './redis-rate-limiter.js'
export { createMemoryRateLimiter } from './memory-rate-limiter.js'
export type { RateDecision, RateLimit, RateLimiter } from './rate-limiter.js'
