import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCliBroker, type CliBroker } from './cli-broker.js'
import { runCli } from './run-cli.js'

/** `webhooks add | list | remove | deliveries`, `systems list | health`, `keys list`, against a real broker. */
describe('lanyard webhooks, systems and keys list', { timeout: 120_000 }, () => {
  let started: CliBroker | undefined
  let receiver: Server
  let receiverUrl: string
  const received: string[] = []
  const cli = (...args: string[]) => runCli(args, { env: started!.env, cwd: started!.dir })
  beforeAll(async () => {
    // A relying party: answers 200 to every SET it is sent (sandbox: a loopback receiver is allowed).
    receiver = createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => (body += chunk))
      req.on('end', () => {
        received.push(body)
        res.writeHead(202).end()
      })
    }).listen(0, '127.0.0.1')
    await once(receiver, 'listening')
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`
    started = await startCliBroker({ adminToken: `w-${randomBytes(8).toString('hex')}`, config: { logLevel: 'silent', sandbox: true, systems: [{ name: 'mem', type: 'memory', upstream: `w-${randomBytes(4).toString('hex')}` }] } })
  })
  afterAll(async () => {
    await started?.close()
    receiver?.close()
  })

  it('webhooks add, list, deliveries (after a revocation), remove', async () => {
    const added = await cli('--json', 'webhooks', 'add', receiverUrl)
    expect(added.code, added.stderr).toBe(0)
    const { id } = JSON.parse(added.stdout) as { id: string }
    const listed = await cli('webhooks', 'list')
    expect(listed.stdout).toMatch(new RegExp(`^${id} +${receiverUrl.replace(/[.]/g, '\\.')} +`, 'm'))

    const handle = 'hooked-bot@agents.webhooks.test'
    await started!.admin('POST', '/v1/agents', { handle, owner: 'ops@acme.dev' })
    await started!.admin('POST', `/v1/agents/${handle}/revoke`, { reason: 'webhook test' })
    for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100))
    expect(received.length).toBeGreaterThan(0)
    let deliveries = await cli('webhooks', 'deliveries', id)
    for (let i = 0; i < 20 && !/ delivered /.test(deliveries.stdout); i++) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      deliveries = await cli('webhooks', 'deliveries', id)
    }
    expect(deliveries.code, deliveries.stderr).toBe(0)
    expect(deliveries.stdout).toMatch(/^ID +STATUS +ATTEMPTS/)
    expect(deliveries.stdout).toMatch(/^\S+ +delivered +1 /m)

    const removed = await cli('webhooks', 'remove', id)
    expect(removed).toEqual({ code: 0, stdout: `removed webhook ${id}\n`, stderr: '' })
    expect((await cli('webhooks', 'list')).stdout).toBe('no webhooks\n')
    expect((await cli('webhooks', 'remove', id)).code).toBe(5)
  })

  it('systems list and health; keys list shows the signing keys, published or kept for receipts', async () => {
    const [systems, health, keys] = await Promise.all([cli('systems', 'list'), cli('systems', 'health'), cli('--json', 'keys', 'list')])
    expect(systems.stdout).toMatch(/^mem +memory +.*grant_id$/m)
    expect(health.code, health.stderr).toBe(0)
    expect(health.stdout).toMatch(/^mem +memory +ok +\d+/m)
    const before = (JSON.parse(keys.stdout) as { keys: { kid: string; published: boolean }[] }).keys
    expect(before.length).toBeGreaterThan(0)
    expect(before.every((k) => k.published)).toBe(true)
    expect(keys.stdout).not.toMatch(/"d"/)
    expect((await cli('keys', 'rotate-signing')).code).toBe(0)
    const after = await cli('keys', 'list')
    expect(after.stdout).toMatch(/^KID +ALG +KEY +PUBLISHED$/m)
    expect(after.stdout.trim().split('\n')).toHaveLength(before.length + 2)
    for (const key of before) expect(after.stdout).toContain(key.kid)
  })
})
