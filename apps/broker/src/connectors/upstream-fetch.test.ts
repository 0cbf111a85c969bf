import { lookup, type LookupAddress } from 'node:dns'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUpstreamFetch } from './upstream-fetch.js'

let port: number
const server = createServer((req, res) => {
  if (req.url === '/redirect') res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end()
  else res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(Number(new URL(req.url!, 'http://h').searchParams.get('n') ?? 10)))
})
beforeAll(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => ((port = (server.address() as AddressInfo).port), resolve()))))
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

/** DNS rebinding: the name is public when it is checked, loopback when the socket connects. */
const rebinding = ((_host: string, _options: unknown, callback: (e: null, a: LookupAddress[]) => void) => callback(null, [{ address: '127.0.0.1', family: 4 }])) as unknown as typeof lookup

describe('the fetch lent to a system', () => {
  it('refuses at connect a name that resolves to loopback, outside a sandbox', async () => {
    const upstream = createUpstreamFetch({ name: 'sys', policy: { allowPrivateNetwork: true, allowLoopback: false }, maxResponseBytes: 1024, timeoutMs: 2000, resolve: rebinding })
    await expect(upstream.fetch(`http://api.example.test:${port}/`)).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE', detail: expect.stringMatching(/refused to connect to api\.example\.test \(127\.0\.0\.1\): a loopback address is refused/) })
    await upstream.close()
  })

  it('connects when the policy allows the resolved address, and caps the body', async () => {
    const upstream = createUpstreamFetch({ name: 'sys', policy: { allowPrivateNetwork: false, allowLoopback: true }, maxResponseBytes: 1024, timeoutMs: 2000, resolve: rebinding })
    expect(await (await upstream.fetch(`http://api.example.test:${port}/?n=1024`)).text()).toHaveLength(1024)
    await expect(upstream.fetch(`http://api.example.test:${port}/?n=1025`)).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE', detail: expect.stringMatching(/exceeds 1024 bytes/) })
    await upstream.close()
  })

  it('never follows a redirect to a metadata address', async () => {
    const upstream = createUpstreamFetch({ name: 'sys', policy: { allowPrivateNetwork: true, allowLoopback: true }, maxResponseBytes: 1024, timeoutMs: 2000 })
    await expect(upstream.fetch(`http://127.0.0.1:${port}/redirect`)).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE', detail: expect.stringMatching(/169\.254\.169\.254: a link-local, cloud-metadata or unspecified address is refused always/) })
    await upstream.close()
  })
})
