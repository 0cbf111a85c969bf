import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import type { JWK } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BrokerUnreachable, createAgentClient, InvalidGrant, InvalidScope, InvalidTarget, LanyardClientError, TemporarilyUnavailable } from '../src/index.js'
import type { AgentClient } from '../src/index.js'
import { startFakeBroker } from './fake-broker.js'
import type { FakeBroker } from './fake-broker.js'

const handle = 'deploy-bot@agents.acme.dev'

async function keyPair(alg: 'EdDSA' | 'ES256' = 'EdDSA') {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  return { publicJwk: await exportJWK(publicKey), privateJwk: await exportJWK(privateKey), privateKey }
}

let broker: FakeBroker
let privateJwk: JWK
let publicJwk: JWK

beforeEach(async () => {
  broker = await startFakeBroker()
  ;({ privateJwk, publicJwk } = await keyPair())
  await broker.register(handle, publicJwk)
  broker.bind(handle, 'github-acme', ['contents:read', 'issues:write', 'metadata:read'])
  broker.bind(handle, 'aws-prod', ['s3:read'], 'aws')
})
afterEach(() => broker.close())

const client = (extra: { refreshSkewSeconds?: number; privateKey?: JWK | CryptoKey } = {}): AgentClient =>
  createAgentClient({ brokerUrl: `${broker.url}/`, handle, privateKey: privateJwk, clock: broker.clock, ...extra })

/** Every message and enumerable member of an error, to prove no secret is in any of them. */
const everything = (err: unknown) => `${String(err)} ${JSON.stringify(err)} ${(err as Error).stack ?? ''}`

async function failure(promise: Promise<unknown>): Promise<LanyardClientError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(LanyardClientError)
  return err as LanyardClientError
}

describe('token()', () => {
  it('signs an RFC 7523 assertion the broker verifies, with the thumbprint as kid', async () => {
    const token = await client().token()
    expect(token).toMatch(/^ht-/)
    const [{ header, claims }] = broker.assertions as [(typeof broker.assertions)[0]]
    expect(header).toEqual({ alg: 'EdDSA', kid: await calculateJwkThumbprint(publicJwk, 'sha256') })
    expect(claims).toMatchObject({ iss: handle, sub: handle, aud: broker.url })
    expect(Number(claims.exp) - Number(claims.iat)).toBe(60)
    expect(Number(claims.iat)).toBe(broker.clock.now().getTime() / 1000)
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('signs with ES256 for a P-256 key, and accepts an extractable CryptoKey', async () => {
    const p256 = await keyPair('ES256')
    await broker.register(handle, p256.publicJwk)
    await client({ privateKey: p256.privateJwk }).token()
    await client({ privateKey: p256.privateKey }).token()
    expect(broker.assertions.map((a) => a.header.alg)).toEqual(['ES256', 'ES256'])
  })

  it('caches the handle token until refreshSkewSeconds before it expires, fetching discovery once', async () => {
    broker.handleTokenTtlSeconds = 600
    const agent = client({ refreshSkewSeconds: 30 })
    const first = await agent.token()
    expect(await agent.token()).toBe(first)
    broker.clock.advance(569)
    expect(await agent.token()).toBe(first)
    broker.clock.advance(1)
    const second = await agent.token()
    expect(second).not.toBe(first)
    expect(broker.count).toMatchObject({ discovery: 1, assertion: 2 })
    const [a, b] = broker.assertions
    expect(a?.claims.jti).not.toBe(b?.claims.jti)
  })

  it('makes one request for concurrent callers', async () => {
    const agent = client()
    const tokens = await Promise.all([agent.token(), agent.token(), agent.token()])
    expect(new Set(tokens).size).toBe(1)
    expect(broker.count.assertion).toBe(1)
  })

  it('refuses a public JWK or an unsupported key where the client is created', () => {
    expect(() => createAgentClient({ brokerUrl: broker.url, handle, privateKey: publicJwk })).toThrow(/must be a private JWK/)
    const rsa = { kty: 'RSA', n: 'AQAB', e: 'AQAB', d: 'AQAB' }
    expect(() => createAgentClient({ brokerUrl: broker.url, handle, privateKey: rsa })).toThrow(/unsupported key type RSA/)
  })

  it('surfaces an unregistered key as InvalidGrant, with no key or assertion in the error', async () => {
    const stranger = await keyPair()
    const err = await failure(client({ privateKey: stranger.privateJwk }).token())
    expect(err).toBeInstanceOf(InvalidGrant)
    expect(err).toMatchObject({ error: 'invalid_grant', status: 400, description: 'unknown handle or key' })
    expect(err.message).toBe('invalid_grant: unknown handle or key (HTTP 400)')
    expect(everything(err)).not.toContain(String(stranger.privateJwk.d))
    expect(everything(err)).not.toMatch(/eyJ/)
  })

  it('does not cache a failure: the next call tries again', async () => {
    broker.failNext(503, { error: 'temporarily_unavailable', error_description: 'store unavailable' })
    const agent = client()
    expect(await failure(agent.token())).toBeInstanceOf(TemporarilyUnavailable)
    expect(await agent.token()).toMatch(/^ht-/)
  })
})

describe('exchange()', () => {
  it('asks for resource=urn:lanyard:system:<system> with the handle token, and returns the response with expiresAt', async () => {
    const agent = client()
    const credential = await agent.exchange({ system: 'github-acme', scope: ['contents:read'] })
    const [form] = broker.exchanges
    expect(form?.get('resource')).toBe('urn:lanyard:system:github-acme')
    expect(form?.get('subject_token')).toBe(await agent.token())
    expect(form?.get('scope')).toBe('contents:read')
    expect(credential).toMatchObject({ access_token: expect.stringMatching(/^cred-/), scope: 'contents:read', grant_id: expect.stringMatching(/^grant-/) })
    expect(credential.expiresAt.getTime()).toBe(broker.clock.now().getTime() + 3600_000)
  })

  it('caches per system and scope set, whatever the order or spelling of the scopes', async () => {
    const agent = client()
    const a = await agent.exchange({ system: 'github-acme', scope: 'issues:write contents:read' })
    const b = await agent.exchange({ system: 'github-acme', scope: ['contents:read', 'issues:write', 'contents:read'] })
    expect(b).toBe(a)
    expect(broker.exchanges.map((f) => f.get('scope'))).toEqual(['contents:read issues:write'])
    const c = await agent.exchange({ system: 'github-acme', scope: 'contents:read' })
    expect(c.access_token).not.toBe(a.access_token)
    expect(broker.count.exchange).toBe(2)
  })

  it('omits scope when none is asked for (the broker gives the ceiling)', async () => {
    const credential = await client().exchange({ system: 'github-acme' })
    expect(broker.exchanges[0]?.has('scope')).toBe(false)
    expect(credential.scope).toBe('contents:read issues:write metadata:read')
  })

  it('exchanges again shortly before the credential expires', async () => {
    broker.credentialTtlSeconds = 300
    const agent = client({ refreshSkewSeconds: 30 })
    const first = await agent.exchange({ system: 'github-acme', scope: 'contents:read' })
    broker.clock.advance(269)
    expect(await agent.exchange({ system: 'github-acme', scope: 'contents:read' })).toBe(first)
    broker.clock.advance(1)
    const second = await agent.exchange({ system: 'github-acme', scope: 'contents:read' })
    expect(second.access_token).not.toBe(first.access_token)
    expect(broker.count).toMatchObject({ assertion: 1, exchange: 2 })
  })

  it('mints a fresh handle token once when the cached one was revoked', async () => {
    const agent = client()
    const before = await agent.token()
    broker.revokeHandleTokens()
    await agent.exchange({ system: 'github-acme', scope: 'contents:read' })
    expect(broker.exchanges.map((f) => f.get('subject_token') === before)).toEqual([true, false])
    expect(broker.count.assertion).toBe(2)
  })

  it('surfaces a revoked agent as InvalidGrant without looping', async () => {
    const agent = client()
    await agent.token()
    broker.revokeAgent(handle)
    const err = await failure(agent.exchange({ system: 'github-acme' }))
    expect(err).toBeInstanceOf(InvalidGrant)
    expect(err.description).toBe('the agent is revoked')
    expect(broker.count).toMatchObject({ assertion: 2, exchange: 1 })
  })

  it('maps invalid_target and invalid_scope to their classes', async () => {
    const agent = client()
    const target = await failure(agent.exchange({ system: 'aws-staging' }))
    expect(target).toBeInstanceOf(InvalidTarget)
    const scope = await failure(agent.exchange({ system: 'github-acme', scope: 'contents:read administration:write' }))
    expect(scope).toBeInstanceOf(InvalidScope)
    expect(scope.message).toBe('invalid_scope: scope "administration:write" exceeds the binding ceiling (HTTP 400)')
  })

  it('maps a 503 without an OAuth body to TemporarilyUnavailable and other bodies to invalid_response / server_error', async () => {
    const agent = client()
    await agent.token()
    broker.failNext(503)
    expect(await failure(agent.exchange({ system: 'github-acme' }))).toMatchObject({ error: 'temporarily_unavailable', status: 503 })
    broker.failNext(500, { message: 'boom' })
    expect(await failure(agent.exchange({ system: 'github-acme' }))).toMatchObject({ error: 'server_error', status: 500 })
    broker.failNext(400, { error: 'slow_down' })
    expect((await failure(agent.exchange({ system: 'github-acme' }))).message).toMatch(/^invalid_response: unrecognised error code "slow_down"/)
    broker.failNext(200, { token_type: 'Bearer' })
    expect(await failure(agent.exchange({ system: 'github-acme' }))).toMatchObject({ error: 'invalid_response' })
  })

  it('surfaces an unreachable broker as BrokerUnreachable (code network) naming only the origin', async () => {
    const closed = createServer()
    closed.listen(0, '127.0.0.1')
    await once(closed, 'listening')
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const err = await failure(createAgentClient({ brokerUrl: `http://127.0.0.1:${port}`, handle, privateKey: privateJwk }).exchange({ system: 'github-acme' }))
    expect(err).toBeInstanceOf(BrokerUnreachable)
    expect(err.error).toBe('network')
    expect(err.message).toBe(`network: cannot reach the broker at http://127.0.0.1:${port} (ECONNREFUSED)`)
  })
})

describe('awsCredentialProvider()', () => {
  it('returns AWS SDK identity fields from aws_credentials and refreshes before expiry', async () => {
    broker.credentialTtlSeconds = 900
    const provider = client().awsCredentialProvider({ system: 'aws-prod', scope: ['s3:read'] })
    const first = await provider()
    expect(first).toEqual({ accessKeyId: expect.stringMatching(/^ASIA/), secretAccessKey: expect.stringMatching(/^secret-/), sessionToken: expect.stringMatching(/^session-/), expiration: new Date(broker.clock.now().getTime() + 900_000) })
    expect(await provider()).toEqual(first)
    broker.clock.advance(871)
    const second = await provider()
    expect(second.accessKeyId).not.toBe(first.accessKeyId)
    expect(broker.count.exchange).toBe(2)
  })

  it('refuses a system whose response has no aws_credentials', async () => {
    const err = await failure(client().awsCredentialProvider({ system: 'github-acme' })())
    expect(err.message).toBe('invalid_response: the exchange for urn:lanyard:system:github-acme returned no aws_credentials member')
    expect(everything(err)).not.toMatch(/cred-\d/)
  })
})
