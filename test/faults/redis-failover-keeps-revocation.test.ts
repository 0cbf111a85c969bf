import { createConnection, createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { eventually, memorySystem } from '../support/memory.js'
import { redisCommand, runPrefix, startRedis, type RedisProcess } from '../support/replicas.js'
import { revokeThenLoseRedis } from './redis-revocation-survives.js'

// Issue #14: a revoke answered 202 survives the primary's death when the store requires a
// replica's acknowledgement (`durability: { replicas: 1 }`): neither Redis keeps an append-only
// file, so only the replica holds the revocation. The broker reaches Redis through one address
// (a TCP forwarder here, a virtual IP or Sentinel-managed DNS name in production) that is moved
// to the replica once it is promoted; a fresh replica is attached to it, as an operator would
// restore redundancy, so that the cascade's own writes are acknowledged again.

/** A loopback forwarder to `target`; `moveTo` drops every connection and forwards new ones there. */
async function forwarder(target: number): Promise<{ url: string; moveTo(port: number): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: target })
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => undefined)
    }
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    moveTo(port) {
      target = port
      for (const socket of sockets) socket.destroy()
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

describe('Redis primary killed right after a 202 revoke, its replica promoted (replicas: 1)', () => {
  const mem = memorySystem('mem')
  const servers: RedisProcess[] = []
  let primary: RedisProcess
  let replica: RedisProcess
  let front: Awaited<ReturnType<typeof forwarder>>
  let t: TestBroker

  beforeAll(async () => {
    primary = await startRedis()
    replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(primary.port)] })
    servers.push(primary, replica)
    await eventually(async () => /slave0:.*state=online/.test(String(await redisCommand(primary.url, 'INFO', 'replication'))))
    front = await forwarder(primary.port)
    t = await startTestBroker({
      config: {
        systems: [mem.system],
        store: { type: 'redis', url: { env: 'LANYARD_REDIS_URL' }, keyPrefix: runPrefix(), durability: { replicas: 1, timeoutMs: 1000 } },
        cascade: { leaseMs: 1000, pollMs: 100, backoffBaseMs: 50, backoffMaxMs: 200 },
      },
      env: { LANYARD_REDIS_URL: front.url },
    })
  })
  afterAll(async () => {
    await t?.close()
    await front?.close()
    await Promise.all(servers.map((server) => server.stop()))
  })

  it('fails a revoke closed (503) while the replica cannot acknowledge it', async () => {
    const agent = await createTestAgent(t, { bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling: ['read'] }] })
    replica.pause()
    try {
      const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'no replica' })
      expect([revoked.status, revoked.body.code]).toEqual([503, 'ERR_STORE_UNAVAILABLE'])
    } finally {
      replica.resume()
    }
    await eventually(async () => /slave0:.*state=online/.test(String(await redisCommand(primary.url, 'INFO', 'replication'))))
  })

  it('keeps the revocation, its tasks and the agent status on the promoted replica, and the cascade finishes', async () => {
    await revokeThenLoseRedis(t, mem, async () => {
      await primary.kill()
      await redisCommand(replica.url, 'REPLICAOF', 'NO', 'ONE')
      const spare = await startRedis({ args: ['--replicaof', '127.0.0.1', String(replica.port)] })
      servers.push(spare)
      // Online: synchronised and acknowledging, so WAIT counts it.
      await eventually(async () => /slave0:.*state=online/.test(String(await redisCommand(replica.url, 'INFO', 'replication'))))
      front.moveTo(replica.port)
    })
  })
})
