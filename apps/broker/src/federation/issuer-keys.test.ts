import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SignJWT, exportJWK, generateKeyPair, jwtVerify } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'
import { systemClock } from '@lanyard/core'
import { createIssuerKeys, type ConfiguredIssuer } from './issuer-keys.js'

const silent = { debug() {}, info() {}, warn() {}, error() {} } as never
let server: Server | undefined
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())))

/** An issuer answering `routes[path]` (status, body); counts requests. */
async function issuerAt(routes: (url: string) => Record<string, [number, string, Record<string, string>?]>): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = []
  let url = ''
  server = createServer((req, res) => {
    requests.push(req.url ?? '')
    const [status, body, headers] = routes(url)[req.url ?? ''] ?? [404, '{}']
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body)
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`
  return { url, requests }
}

const settings = { timeoutMs: 1000, cacheMaxAgeMs: 60_000, cooldownMs: 30_000, failureBackoffMs: 10_000, maxBodyBytes: 4096, allowHttp: true }

async function signed(): Promise<{ token: string; jwks: string }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1' }
  return { token: await new SignJWT({ sub: 's' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey), jwks: JSON.stringify({ keys: [jwk] }) }
}

function verify(issuer: ConfiguredIssuer, token: string, overrides: Partial<typeof settings> = {}) {
  const keys = createIssuerKeys({ issuers: [issuer], settings: { ...settings, ...overrides }, clock: systemClock, log: silent })
  return jwtVerify(token, keys.keysOf(issuer))
}

describe('issuer keys', () => {
  it('finds the keys by discovery and verifies', async () => {
    const { token, jwks } = await signed()
    const at = await issuerAt((url) => ({ '/.well-known/openid-configuration': [200, JSON.stringify({ issuer: url, jwks_uri: `${url}/keys` })], '/keys': [200, jwks] }))
    await expect(verify({ issuer: at.url, audiences: ['a'], allowedAlgs: ['ES256'] }, token)).resolves.toMatchObject({ payload: { sub: 's' } })
  })

  it.each([
    ['a discovery document naming another issuer', (url: string) => ({ '/.well-known/openid-configuration': [200, JSON.stringify({ issuer: `${url}/other`, jwks_uri: `${url}/keys` })] })],
    ['a JWKS larger than the bound', (url: string) => ({ '/.well-known/openid-configuration': [200, JSON.stringify({ issuer: url, jwks_uri: `${url}/keys` })], '/keys': [200, JSON.stringify({ keys: [], pad: 'x'.repeat(10_000) })] })],
    ['a redirect', (url: string) => ({ '/.well-known/openid-configuration': [200, JSON.stringify({ issuer: url, jwks_uri: `${url}/keys` })], '/keys': [302, '', { location: `${url}/elsewhere` }] })],
    ['a plain-http jwks_uri outside the sandbox', (url: string) => ({ '/.well-known/openid-configuration': [200, JSON.stringify({ issuer: url, jwks_uri: `${url}/keys` })] })],
  ] as const)('refuses %s as unavailable, and then backs off', async (name, routes) => {
    const { token } = await signed()
    const at = await issuerAt(routes as never)
    const issuer = { issuer: at.url, audiences: ['a'], allowedAlgs: ['ES256'] }
    const keys = createIssuerKeys({ issuers: [issuer], settings: { ...settings, allowHttp: !name.includes('plain-http') }, clock: systemClock, log: silent })
    await expect(jwtVerify(token, keys.keysOf(issuer))).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE' })
    const asked = at.requests.length
    await expect(jwtVerify(token, keys.keysOf(issuer))).rejects.toMatchObject({ code: 'ERR_ISSUER_UNAVAILABLE' })
    expect(at.requests.length).toBe(asked)
  })

  it('refuses to fetch for an issuer it was not configured with', async () => {
    const keys = createIssuerKeys({ issuers: [], settings, clock: systemClock, log: silent })
    expect(() => keys.keysOf({ issuer: 'https://nobody.example', audiences: [], allowedAlgs: [] })).toThrow(expect.objectContaining({ code: 'ERR_ISSUER_UNAVAILABLE' }))
  })
})
