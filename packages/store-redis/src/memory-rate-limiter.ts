import { systemClock, type Clock } from '@lanyard/core'
import { checkRateLimit, decision, gcra, type RateLimiter } from './rate-limiter.js'

/**
 * The rate limiter for one process (the embedded store): the same GCRA as the Redis limiter,
 * in a Map. Keys whose TAT has passed carry no state and are swept once the map holds
 * `maxKeys` (10,000 unless given), so memory stays bounded by the keys active in one burst
 * window.
 */
export function createMemoryRateLimiter(options: { clock?: Clock; maxKeys?: number } = {}): RateLimiter {
  const clock = options.clock ?? systemClock
  const maxKeys = options.maxKeys ?? 10_000
  const tats = new Map<string, number>()
  return {
    async take(key, limit) {
      checkRateLimit(limit)
      const now = clock.now().getTime()
      const { waitMs, tat } = gcra(tats.get(key), now, limit)
      if (waitMs > 0) return decision(waitMs)
      if (tats.size >= maxKeys && !tats.has(key)) for (const [k, t] of tats) if (t <= now) tats.delete(k)
      tats.set(key, tat)
      return decision(0)
    },
  }
}
