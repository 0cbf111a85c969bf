import { systemClock, type Clock, type RateDecision, type RateLimiter, type RatePolicy } from '@lanyard/core'
import { defineScript, type RedisClient } from './connection.js'
import { redisKeys } from './keys.js'
import { gcraLua } from './scripts/gcra.js'

const runGcra = defineScript(gcraLua)

// Lua would carry an infinite interval or a fractional burst into the TAT and never recover.
function checkPolicy(policy: RatePolicy): void {
  if (!(Number.isFinite(policy.ratePerSecond) && policy.ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be a positive number, got ${policy.ratePerSecond}`)
  if (!(Number.isInteger(policy.burst) && policy.burst >= 1)) throw new RangeError(`burst must be an integer of at least 1, got ${policy.burst}`)
}

/**
 * The RateLimiter port shared by every replica: GCRA in one Lua script per `take`, so
 * concurrent takes on one key from many replicas never overshoot the burst. Same answers as
 * core's `createMemoryRateLimiter` for the same calls and times (the tests hold them to it).
 * Time comes from the broker's Clock, like the store's, never Redis's: replicas with skewed
 * clocks disagree by that skew at most. Redis unreachable: StoreUnavailable, so the caller
 * refuses the request (fail closed) rather than letting it through unmetered.
 */
export function createRedisRateLimiter(redis: RedisClient, options: { keyPrefix: string; clock?: Clock }): RateLimiter {
  const keys = redisKeys(options.keyPrefix)
  const clock = options.clock ?? systemClock
  return {
    async take(key, policy): Promise<RateDecision> {
      checkPolicy(policy)
      const [allowed, waitMs] = (await runGcra(redis, [keys.rate(key)], [clock.now().getTime(), 1000 / policy.ratePerSecond, policy.burst])) as [number, string]
      return allowed === 1 ? { allowed: true, retryAfterSeconds: 0 } : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(Number(waitMs) / 1000)) }
    },
  }
}
