import { afterAll, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import { FakeClock } from '@lanyard/core/testing'
import { redisKeys } from '../src/keys.js'
import { outboxEntry } from '../src/revocations.js'
import { openRedisStore } from '../src/create-redis-store.js'
import { deleteKeys, runPrefix, sharedRedisUrl } from '../src/testing/redis-servers.js'

// Redis only: its outbox entries are written before the revocation's own commit (a superset, see
// keys.ts), so an entry may point at a revocation that never committed. The conformance kit
// cannot make one; this file writes such entries by hand.
const prefix = runPrefix()

describe('revocation outbox on Redis', () => {
  afterAll(async () => {
    await deleteKeys([sharedRedisUrl], prefix)
  })

  it('skips an entry whose revocation has not committed yet, and drops it once it is five minutes old', async () => {
    const keyPrefix = `${prefix}-outbox`
    const clock = new FakeClock()
    const store = await openRedisStore({ url: sharedRedisUrl, keyPrefix, clock })
    const redis = new Redis(sharedRedisUrl)
    try {
      const { outbox } = redisKeys(keyPrefix)
      await redis.hset(outbox, ...outboxEntry('never-committed', 'revocation.started', clock.now()), ...outboxEntry('never-committed', 'revocation.finished', clock.now()))

      expect(await store.listUnannounced(10)).toEqual([])
      expect(await redis.hlen(outbox)).toBe(2)
      clock.advance(5 * 60_000 - 1)
      expect(await store.listUnannounced(10)).toEqual([])
      expect(await redis.hlen(outbox)).toBe(2)
      clock.advance(2)
      expect(await store.listUnannounced(10)).toEqual([])
      expect(await redis.hlen(outbox)).toBe(0)
    } finally {
      redis.disconnect()
      await store.close()
    }
  })
})
