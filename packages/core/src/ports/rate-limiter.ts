import type { Clock } from './clock.js'

export interface RatePolicy {
  /** Sustained rate. */
  readonly ratePerSecond: number
  /** Requests allowed at once above the sustained rate. */
  readonly burst: number
}

export interface RateDecision {
  readonly allowed: boolean
  /** When refused: whole seconds until one more request would be allowed (>= 1). */
  readonly retryAfterSeconds: number
}

/** Per-key limiter. Embedded: in memory; many replicas: one atomic script in Redis. */
export interface RateLimiter {
  take(key: string, policy: RatePolicy): Promise<RateDecision>
}

/**
 * GCRA (the generic cell rate algorithm, as in ATM networks and redis-cell): one timestamp per
 * key, the theoretical arrival time. Exact, O(1) memory per key, no background timers.
 */
export function gcra(tat: number | undefined, now: number, policy: RatePolicy): { allowed: boolean; tat: number; retryAfterMs: number } {
  const interval = 1000 / policy.ratePerSecond
  const tolerance = interval * Math.max(0, policy.burst - 1)
  const arrival = Math.max(tat ?? now, now)
  const allowAt = arrival - tolerance
  if (now < allowAt) return { allowed: false, tat: arrival, retryAfterMs: allowAt - now }
  return { allowed: true, tat: arrival + interval, retryAfterMs: 0 }
}

/** One process (the embedded store). Keys whose state is older than the burst window are
 * swept as new ones arrive, so memory stays bounded by the number of active agents. */
export function createMemoryRateLimiter(clock: Clock): RateLimiter {
  const state = new Map<string, number>()
  let sweepAt = 0
  return {
    async take(key, policy) {
      const now = clock.now().getTime()
      if (now >= sweepAt) {
        for (const [k, tat] of state) if (tat < now) state.delete(k)
        sweepAt = now + 60_000
      }
      const result = gcra(state.get(key), now, policy)
      state.set(key, result.tat)
      return { allowed: result.allowed, retryAfterSeconds: result.allowed ? 0 : Math.max(1, Math.ceil(result.retryAfterMs / 1000)) }
    },
  }
}
