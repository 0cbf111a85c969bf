import { randomUUID } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { StoreUnavailable, createLocalMutex, type Mutex } from '@lanyard/core'
import { call, defineScript, type RedisClient } from './connection.js'
import { redisKeys } from './keys.js'
import { releaseLua } from './scripts/release.js'

const runRelease = defineScript(releaseLua)
/** First pause between two tries for a held key; doubles up to `maxPauseMs`, jittered. */
const firstPauseMs = 5
const maxPauseMs = 100

/**
 * The Mutex shared by every replica on this Redis: a key `SET NX PX` with a random token, the
 * lease as its expiry, released by a script that deletes it only for that token. Contenders of
 * one process queue behind a local mutex first, so each process polls Redis with one contender
 * per key. Waiting is real time (not the broker's Clock): it is about how long this call blocks.
 * Redis unreachable: StoreUnavailable, like every other call, and `work` does not run.
 */
export function createRedisMutex(client: RedisClient, settings: { keyPrefix: string }): Mutex {
  const keys = redisKeys(settings.keyPrefix)
  const local = createLocalMutex()
  return {
    hold(key, options, work) {
      const deadline = Date.now() + options.waitMs
      return local.hold(key, options, async () => {
        const lock = keys.lock(key)
        const token = randomUUID()
        for (let pause = firstPauseMs; ; pause = Math.min(pause * 2, maxPauseMs)) {
          if ((await call(() => client.set(lock, token, 'PX', options.leaseMs, 'NX'))) === 'OK') break
          if (Date.now() + pause > deadline) throw new StoreUnavailable({ detail: `"${key}" was held by another replica for longer than ${options.waitMs} ms` })
          await delay(pause * (0.5 + Math.random()))
        }
        try {
          return await work()
        } finally {
          // Not released (Redis gone): the lease lapses on its own.
          await runRelease(client, [lock], [token]).catch(() => undefined)
        }
      })
    },
  }
}
