import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Redis } from 'ioredis'
import type { Agent, AuditDraft } from '@lanyard/core'
import { createRedisStore, type Durability } from '../src/index.js'
import { runPrefix, startRedis, type RedisProcess } from '../src/testing/redis-servers.js'

// The store refuses, before serving, a Redis that could lose what it acknowledged, naming the
// setting; `volatile` runs there on purpose; replica acknowledgement fails closed when the
// replicas are not there. One private redis-server whose settings the cases change.
const at = new Date('2026-01-01T00:00:00Z')
const draft: AuditDraft = { at, actor: 'admin:test', action: 'agent.created', target: 'x', outcome: 'success', details: {} }
const agent = (handle: string): Agent => ({ handle, owner: 'owner@acme.test', status: 'active', tier: 1, generation: 1, labels: {}, createdAt: at, updatedAt: at })

describe('Redis durability at start and per write', () => {
  let server: RedisProcess
  let admin: Redis

  beforeAll(async () => {
    server = await startRedis({ persist: true })
    admin = new Redis(server.url)
  })
  afterAll(async () => {
    admin?.disconnect()
    await server?.stop()
  })
  beforeEach(async () => {
    await admin.config('SET', 'appendonly', 'yes')
    await admin.config('SET', 'appendfsync', 'always')
  })

  const open = (durability?: Durability, url = server.url) => createRedisStore({ url, keyPrefix: runPrefix(), ...(durability === undefined ? {} : { durability }) })

  it('serves by default on appendonly yes with appendfsync always', async () => {
    const backend = await open()
    await backend.store.createAgent(agent('ok@agents.test'), draft)
    await Promise.all([backend.store.close(), backend.bus.close()])
  })

  it('refuses appendonly no, naming the setting, unless durability is volatile', async () => {
    await admin.config('SET', 'appendonly', 'no')
    await expect(open()).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID', message: expect.stringMatching(/store\.durability: Redis at 127\.0\.0\.1:\d+ has appendonly no/) })
    const backend = await open('volatile')
    await backend.store.createAgent(agent('volatile@agents.test'), draft)
    await Promise.all([backend.store.close(), backend.bus.close()])
  })

  it('refuses appendfsync everysec, naming the setting', async () => {
    await admin.config('SET', 'appendfsync', 'everysec')
    await expect(open('fsync')).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID', message: expect.stringMatching(/has appendfsync everysec/) })
  })

  it('says so clearly when the server will not tell its persistence (CONFIG refused)', async () => {
    await admin.call('ACL', 'SETUSER', 'noconfig', 'on', '>pw-noconfig', '~*', '&*', '+@all', '-config')
    const url = `redis://noconfig:pw-noconfig@127.0.0.1:${server.port}`
    await expect(open(undefined, url)).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID', message: expect.stringMatching(/cannot read Redis persistence at .*CONFIG GET appendonly was refused/) })
  })

  it('fails a write closed when fewer replicas than required acknowledge it', async () => {
    // No replica is attached to this server: WAIT 1 times out with 0.
    const backend = await open({ replicas: 1, timeoutMs: 50 })
    await expect(backend.store.createAgent(agent('waits@agents.test'), draft)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' })
    await Promise.all([backend.store.close(), backend.bus.close()])
  })
})
