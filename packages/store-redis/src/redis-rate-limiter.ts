import { systemClock, type Clock } from '@lanyard/core'
import { defineScript, type RedisClient } from './connection.js'
import { redisKeys } from './keys.js'
import { checkRateLimit, decision, type RateLimiter } from './rate-limiter.js'
import { gcraLua } from './scripts/gcra.js'

const runGcra = defineScript(gcraLua)

/**
 * The rate limiter shared by every replica: GCRA in one Lua script per `take`, so concurrent
 * takes on one key from many replicas never overshoot the burst. Time comes from the broker's
 * Clock (like the store, never Redis's clock), so replicas with skewed clocks disagree by that
 * skew at most. Keys expire when their TAT has passed. Redis unreachable: StoreUnavailable, and
 * the caller refuses the request (fail closed) rather than letting it through unmetered.
 */
export function createRedisRateLimiter(redis: RedisClient, options: { keyPrefix: string; clock?: Clock }): RateLimiter {
  const keys = redisKeys(options.keyPrefix)
  const clock = options.clock ?? systemClock
  return {
    async take(key, limit) {
      checkRateLimit(limit)
      const [allowed, waitMs] = (await runGcra(redis, [keys.rate(key)], [clock.now().getTime(), 1000 / limit.ratePerSecond, limit.burst])) as [number, string]
      return decision(allowed === 1 ? 0 : Number(waitMs))
    },
  }
}
