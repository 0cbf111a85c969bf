import { afterAll, beforeAll, describe, it } from 'vitest'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { memorySystem } from '../support/memory.js'
import { runPrefix, startRedis, type RedisProcess } from '../support/replicas.js'
import { revokeThenLoseRedis } from './redis-revocation-survives.js'

// Issue #14: a revoke answered 202 survives a Redis restart in a deployment that follows the
// README: a Redis of this test's own with `appendonly yes` and `appendfsync always`, the store
// on its default durability (`fsync`, checked at start). Redis is killed (SIGKILL) right after
// the 202 and started again from its append-only file.
describe('Redis killed right after a 202 revoke, restarted from its AOF', () => {
  const mem = memorySystem('mem')
  let redis: RedisProcess
  let t: TestBroker

  beforeAll(async () => {
    redis = await startRedis({ persist: true })
    t = await startTestBroker({
      config: {
        systems: [mem.system],
        store: { type: 'redis', url: { env: 'LANYARD_REDIS_URL' }, keyPrefix: runPrefix() },
        // Short leases: a task leased when Redis died is taken again within a second.
        cascade: { leaseMs: 1000, pollMs: 100, backoffBaseMs: 50, backoffMaxMs: 200 },
      },
      env: { LANYARD_REDIS_URL: redis.url },
    })
  })
  afterAll(async () => {
    await t?.close()
    await redis?.stop()
  })

  it('keeps the revocation, its tasks and the agent status, and the cascade finishes', async () => {
    await revokeThenLoseRedis(t, mem, async () => {
      await redis.kill()
      await redis.restart()
    })
  })
})
