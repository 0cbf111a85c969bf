import { afterAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { createMemoryRateLimiter, type RateLimiter, type RatePolicy } from '@lanyard/core'
import { FakeClock } from '@lanyard/core/testing'
import { createRedisRateLimiter } from '../src/index.js'
import { deleteKeys, runPrefix, sharedRedisUrl } from '../src/testing/redis-servers.js'

const prefix = runPrefix()
const clients: Redis[] = []

function redisClient(): Redis {
  const client = new Redis(sharedRedisUrl)
  clients.push(client)
  return client
}

afterAll(async () => {
  for (const client of clients) client.disconnect()
  await deleteKeys([sharedRedisUrl], prefix)
})

const limiters: { name: string; create: (clock: FakeClock) => RateLimiter }[] = [
  { name: 'memory (core)', create: (clock) => createMemoryRateLimiter(clock) },
  { name: 'redis', create: (clock) => createRedisRateLimiter(redisClient(), { keyPrefix: `${prefix}-${Math.random().toString(36).slice(2, 8)}`, clock }) },
]

describe.each(limiters)('$name rate limiter (GCRA)', ({ create }) => {
  const twoPerSecond: RatePolicy = { ratePerSecond: 2, burst: 3 }

  it('allows the burst at once, then one per emission interval, and says how long to wait', async () => {
    const clock = new FakeClock()
    const limiter = create(clock)
    const take = () => limiter.take('agent:a', twoPerSecond)
    for (let i = 0; i < 3; i++) expect(await take()).toEqual({ allowed: true, retryAfterSeconds: 0 })
    expect(await take()).toEqual({ allowed: false, retryAfterSeconds: 1 })
    clock.advance(499)
    expect((await take()).allowed).toBe(false)
    clock.advance(1)
    expect(await take()).toEqual({ allowed: true, retryAfterSeconds: 0 })
    expect((await take()).allowed).toBe(false)
    // A refusal costs nothing: after a quiet spell the whole burst is back, and no more.
    clock.advance(60_000)
    for (let i = 0; i < 3; i++) expect((await take()).allowed).toBe(true)
    expect((await take()).allowed).toBe(false)
    expect((await limiter.take('agent:b', twoPerSecond)).allowed).toBe(true)
  })

  it('rounds a wait up to whole seconds (Retry-After), at least 1', async () => {
    const clock = new FakeClock()
    const limiter = create(clock)
    const slow: RatePolicy = { ratePerSecond: 0.1, burst: 1 }
    expect((await limiter.take('k', slow)).allowed).toBe(true)
    expect(await limiter.take('k', slow)).toEqual({ allowed: false, retryAfterSeconds: 10 })
    clock.advance(8_500)
    expect(await limiter.take('k', slow)).toEqual({ allowed: false, retryAfterSeconds: 2 })
    const fast: RatePolicy = { ratePerSecond: 100, burst: 1 }
    expect((await limiter.take('f', fast)).allowed).toBe(true)
    expect(await limiter.take('f', fast)).toEqual({ allowed: false, retryAfterSeconds: 1 })
  })
})

describe('Redis and memory limiters agree', () => {
  it('give the same decisions for the same sequence of keys, limits and times', async () => {
    const memoryClock = new FakeClock()
    const redisClock = new FakeClock()
    const memory = createMemoryRateLimiter(memoryClock)
    const redis = createRedisRateLimiter(redisClient(), { keyPrefix: `${prefix}-agree`, clock: redisClock })
    const limits: RatePolicy[] = [{ ratePerSecond: 3, burst: 2 }, { ratePerSecond: 0.5, burst: 4 }, { ratePerSecond: 10, burst: 1 }]
    const seen = new Set<boolean>()
    let seed = 7
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648)
    for (let i = 0; i < 120; i++) {
      const key = `k${next() % 3}`
      const limit = limits[Number(key.slice(1))]!
      const step = next() % 700
      memoryClock.advance(step)
      redisClock.advance(step)
      const expected = await memory.take(key, limit)
      expect(await redis.take(key, limit), `step ${i}`).toEqual(expected)
      seen.add(expected.allowed)
    }
    expect(seen).toEqual(new Set([true, false]))
  })

})

describe('Redis rate limiter only', () => {
  it('concurrent takes from several clients never overshoot the burst', async () => {
    const clock = new FakeClock()
    const keyPrefix = `${prefix}-race`
    const replicas = [redisClient(), redisClient(), redisClient()].map((client) => createRedisRateLimiter(client, { keyPrefix, clock }))
    const decisions = await Promise.all(Array.from({ length: 30 }, (_, i) => replicas[i % 3]!.take('shared', { ratePerSecond: 1, burst: 5 })))
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5)
  })

  it('refuses a limit that is not a positive rate with a burst of at least one', async () => {
    const limiter = createRedisRateLimiter(redisClient(), { keyPrefix: `${prefix}-invalid`, clock: new FakeClock() })
    await expect(limiter.take('k', { ratePerSecond: 0, burst: 1 })).rejects.toThrow(RangeError)
    await expect(limiter.take('k', { ratePerSecond: 1, burst: 0 })).rejects.toThrow(RangeError)
    await expect(limiter.take('k', { ratePerSecond: Number.NaN, burst: 1 })).rejects.toThrow(RangeError)
  })

  it('unreachable: take rejects with StoreUnavailable (fail closed)', async () => {
    const offline = new Redis(sharedRedisUrl, { lazyConnect: true, enableOfflineQueue: false })
    const limiter = createRedisRateLimiter(offline, { keyPrefix: `${prefix}-offline`, clock: new FakeClock() })
    await expect(limiter.take('k', { ratePerSecond: 1, burst: 1 })).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' })
    offline.disconnect()
  })
})
