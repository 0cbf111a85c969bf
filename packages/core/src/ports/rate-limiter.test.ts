import { describe, expect, it } from 'vitest'
import { createMemoryRateLimiter } from './rate-limiter.js'

function clockAt(start: number) {
  let now = start
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) }
}

describe('GCRA rate limiter', () => {
  it('allows the burst at once, then the sustained rate, and says when to retry', async () => {
    const clock = clockAt(1_000_000)
    const limiter = createMemoryRateLimiter(clock)
    const policy = { ratePerSecond: 2, burst: 3 }
    const first = await Promise.all([1, 2, 3, 4].map(() => limiter.take('a', policy)))
    expect(first.map((d) => d.allowed)).toEqual([true, true, true, false])
    expect(first[3]!.retryAfterSeconds).toBe(1)
    clock.advance(499)
    expect((await limiter.take('a', policy)).allowed).toBe(false)
    clock.advance(1)
    expect((await limiter.take('a', policy)).allowed).toBe(true)
    expect((await limiter.take('a', policy)).allowed).toBe(false)
  })

  it('keeps keys apart', async () => {
    const limiter = createMemoryRateLimiter(clockAt(0))
    const policy = { ratePerSecond: 1, burst: 1 }
    expect((await limiter.take('a', policy)).allowed).toBe(true)
    expect((await limiter.take('a', policy)).allowed).toBe(false)
    expect((await limiter.take('b', policy)).allowed).toBe(true)
  })
})
