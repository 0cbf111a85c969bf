import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { createRedisMutex } from '../src/redis-mutex.js'
import { deleteKeys, runPrefix, sharedRedisUrl } from '../src/testing/redis-servers.js'

const prefix = runPrefix()
const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms))
const hold = { leaseMs: 10_000, waitMs: 5_000 }

describe('Redis mutex: one holder per key across replicas', () => {
  // Each Redis client stands for one replica: their mutexes share nothing but Redis.
  let clients: Redis[] = []
  const replica = () => {
    const client = new Redis(sharedRedisUrl)
    clients.push(client)
    return createRedisMutex(client, { keyPrefix: prefix })
  }
  let key = 0
  let lock: string
  beforeEach(() => {
    lock = `aws:role-policy:arn:aws:iam::123456789012:role/agents-${++key}`
  })
  afterEach(() => {
    for (const client of clients) client.disconnect()
    clients = []
  })
  afterAll(async () => {
    await deleteKeys([sharedRedisUrl], prefix)
  })

  it('never lets two replicas hold one key at once, and lets every one through in the end', async () => {
    const mutexes = [replica(), replica(), replica()]
    let inside = 0
    let most = 0
    const entered: number[] = []
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        mutexes[i % 3]!.hold(lock, hold, async () => {
          inside += 1
          most = Math.max(most, inside)
          await tick(3)
          entered.push(i)
          inside -= 1
        }),
      ),
    )
    expect(most).toBe(1)
    expect(entered.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i))
  })

  it('lets another replica in once a dead holder\'s lease lapses, and the old holder\'s release does not free the new hold', async () => {
    const [dying, next, third] = [replica(), replica(), replica()]
    let resume!: () => void
    let dyingIn!: () => void
    const dyingEntered = new Promise<void>((entered) => (dyingIn = entered))
    const stalled = dying.hold(lock, { leaseMs: 100, waitMs: 1_000 }, () => {
      dyingIn()
      return new Promise<void>((resolve) => (resume = resolve))
    })
    // Wait until the dying holder really holds the key (its client may still be connecting).
    await dyingEntered
    const started = Date.now()
    let releaseNext!: () => void
    const nextIn = new Promise<void>((entered) => {
      void next.hold(lock, hold, () => {
        entered()
        return new Promise<void>((resolve) => (releaseNext = resolve))
      })
    })
    await nextIn
    expect(Date.now() - started).toBeGreaterThanOrEqual(60)
    // The stalled holder finishes late and releases: the lock is `next`'s now, so it stays held.
    resume()
    await stalled
    await expect(third.hold(lock, { leaseMs: 10_000, waitMs: 150 }, async () => 'entered')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' })
    releaseNext()
    await tick(5)
    await expect(third.hold(lock, hold, async () => 'entered')).resolves.toBe('entered')
  })

  it('answers StoreUnavailable, without running the work, when Redis is gone', async () => {
    const client = new Redis(sharedRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false })
    clients.push(client)
    const mutex = createRedisMutex(client, { keyPrefix: prefix })
    let ran = false
    await expect(mutex.hold(lock, hold, async () => (ran = true))).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' })
    expect(ran).toBe(false)
  })
})
