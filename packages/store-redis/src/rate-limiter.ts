/** A limit: `ratePerSecond` sustained, up to `burst` at once. */
export interface RateLimit {
  readonly ratePerSecond: number
  /** Requests allowed back to back after a quiet period; at least 1. */
  readonly burst: number
}

export interface RateDecision {
  readonly allowed: boolean
  /** 0 when allowed; otherwise whole seconds until one more would be allowed (HTTP Retry-After), at least 1. */
  readonly retryAfterSeconds: number
}

/**
 * Shared by the broker's replicas (Redis) or one process (memory); both give the same answers
 * for the same sequence of calls and times. TODO(#rate-limiter-port): this interface belongs in
 * @lanyard/core's ports beside Store; it lives here until core takes it.
 */
export interface RateLimiter {
  take(key: string, limit: RateLimit): Promise<RateDecision>
}

export function checkRateLimit(limit: RateLimit): void {
  if (!(Number.isFinite(limit.ratePerSecond) && limit.ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be a positive number, got ${limit.ratePerSecond}`)
  if (!(Number.isInteger(limit.burst) && limit.burst >= 1)) throw new RangeError(`burst must be an integer of at least 1, got ${limit.burst}`)
}

export function decision(waitMs: number): RateDecision {
  return waitMs <= 0 ? { allowed: true, retryAfterSeconds: 0 } : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) }
}

/**
 * GCRA, the same arithmetic as scripts/gcra.ts: `tat` is the theoretical arrival time of the
 * next request (ms). Returns how long to wait (0: allowed) and the TAT to keep if allowed.
 */
export function gcra(tat: number | undefined, nowMs: number, limit: RateLimit): { waitMs: number; tat: number } {
  const interval = 1000 / limit.ratePerSecond
  const nextTat = Math.max(tat ?? nowMs, nowMs) + interval
  const allowAt = nextTat - limit.burst * interval
  return allowAt > nowMs ? { waitMs: allowAt - nowMs, tat: tat ?? nowMs } : { waitMs: 0, tat: nextTat }
}
