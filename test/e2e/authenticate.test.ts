import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent, jwtBearer } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'

describe('agent authentication (RFC 7523) with a real OAuth client', () => {
  let t: TestBroker
  let client: oidc.Configuration
  beforeAll(async () => {
    t = await startTestBroker()
    client = await oidc.discovery(new URL(t.issuer), 'lanyard-agent', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] })
  })
  afterAll(() => t.close())

  it('publishes discovery with every endpoint and both grant types', () => {
    const metadata = client.serverMetadata()
    expect(metadata.issuer).toBe(t.issuer)
    expect(metadata.token_endpoint).toBe(`${t.issuer}/oauth/token`)
    expect(metadata.introspection_endpoint).toBe(`${t.issuer}/oauth/introspect`)
    expect(metadata.revocation_endpoint).toBe(`${t.issuer}/oauth/revoke`)
    expect(metadata.jwks_uri).toBe(`${t.issuer}/.well-known/jwks.json`)
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining([jwtBearer, 'urn:ietf:params:oauth:grant-type:token-exchange']))
  })

  it.each(['EdDSA', 'ES256'] as const)('exchanges a %s assertion for a handle token that verifies against the JWKS', async (alg) => {
    const agent = await createTestAgent(t, { alg })
    const response = await oidc.genericGrantRequest(client, jwtBearer, { assertion: await agent.assertion() })
    expect(response.token_type.toLowerCase()).toBe('bearer')
    expect(response.expires_in).toBeGreaterThan(60)
    expect(response.expires_in).toBeLessThanOrEqual(600)
    const header = decodeProtectedHeader(response.access_token)
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'lanyard-handle+jwt' })
    const { payload } = await jwtVerify(response.access_token, createRemoteJWKSet(new URL(`${t.issuer}/.well-known/jwks.json`)), { issuer: t.issuer, audience: t.issuer, typ: 'lanyard-handle+jwt' })
    expect(payload).toMatchObject({ sub: agent.handle, gen: 1 })
    expect(typeof payload.jti).toBe('string')
  })

  it('introspects a handle token as active for the admin, and inactive after RFC 7009 revocation', async () => {
    const agent = await createTestAgent(t)
    const token = await agent.token()
    const active = await t.form('/oauth/introspect', { token }, { authorization: `Bearer ${t.adminToken}` })
    expect(active.body).toMatchObject({ active: true, sub: agent.handle, iss: t.issuer })
    expect((await t.form('/oauth/revoke', { token })).status).toBe(200)
    const inactive = await t.form('/oauth/introspect', { token }, { authorization: `Bearer ${t.adminToken}` })
    expect(inactive.body).toEqual({ active: false })
  })

  it('refuses introspection without the admin bearer', async () => {
    const response = await t.form('/oauth/introspect', { token: 'x' })
    expect(response.status).toBe(401)
    expect(response.body.error).toBe('invalid_client')
  })

  it('answers RFC 7009 revocation of an unknown token with 200', async () => {
    expect((await t.form('/oauth/revoke', { token: 'not-a-token' })).status).toBe(200)
  })

  it('keeps tokens signed before a key rotation valid, and publishes both keys', async () => {
    const agent = await createTestAgent(t)
    const before = await agent.token()
    const oldKid = decodeProtectedHeader(before).kid
    await t.broker.lanyard.keys.rotate('EdDSA')
    const after = await agent.token()
    expect(decodeProtectedHeader(after).kid).not.toBe(oldKid)
    const jwks = (await (await fetch(`${t.issuer}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string; d?: string }> }
    expect(jwks.keys.map((k) => k.kid)).toContain(oldKid)
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true)
    const introspected = await t.form('/oauth/introspect', { token: before }, { authorization: `Bearer ${t.adminToken}` })
    expect(introspected.body.active).toBe(true)
  })
})
