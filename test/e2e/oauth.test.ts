import { startOAuthSandbox, type OAuthSandbox } from '@lanyard/sandbox'
import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { eventually } from '../support/memory.js'

const LEDGER = 'https://ledger.example.test/'
/** JWT access tokens the server remembers (as Okta and Keycloak do); resource servers validate them alone. */
const API = 'https://api.example.test/'
const secret = 'f1e2d3c4b5a697887766554433221100-client-secret'

describe('OAuth end to end against oidc-provider: exchange, introspect, revoke', () => {
  let idp: OAuthSandbox
  let t: TestBroker
  let introspector: oidc.Configuration
  const binding = { system: 'corp-idp', target: { clientId: 'deploy-bot' }, ceiling: ['read', 'write', `resource:${LEDGER}`] }

  beforeAll(async () => {
    idp = await startOAuthSandbox({
      scopes: ['read', 'write', 'admin'],
      resources: {
        [LEDGER]: { scopes: ['read', 'write', 'admin'], accessTokenFormat: 'opaque', accessTokenTtlSeconds: 300 },
        [API]: { scopes: ['read', 'write'], accessTokenFormat: 'jwt', rememberJwt: true, accessTokenTtlSeconds: 300 },
      },
      clients: [{ clientId: 'deploy-bot', auth: 'client_secret_basic', clientSecret: secret }],
    })
    t = await startTestBroker({
      env: { DEPLOY_BOT_SECRET: secret },
      config: {
        sandbox: true,
        upstream: { allowInsecureUpstreamHttp: true },
        // Fast first retries, so the 429 case below waits on the server's Retry-After, not on backoff.
        cascade: { backoffBaseMs: 50 },
        systems: [{ name: 'corp-idp', type: 'oauth', issuer: idp.issuer, allowInsecureUpstreamHttp: true, clients: [{ clientId: 'deploy-bot', auth: 'client_secret_basic', clientSecret: { env: 'DEPLOY_BOT_SECRET' } }] }],
      },
    })
    // The resource server's view: RFC 7662 at the authorization server, as the client.
    introspector = await oidc.discovery(new URL(idp.issuer), 'deploy-bot', secret, oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests] })
  })
  afterAll(async () => {
    await t?.close()
    await idp?.close()
  })

  it('issues a token that introspects active with exactly the narrowed scope and audience, then inactive after revocation', async () => {
    const agent = await createTestAgent(t, { bindings: [binding] })
    const handleToken = await agent.token()
    const exchanged = await agent.exchange('corp-idp', `read resource:${LEDGER}`, handleToken)
    expect(exchanged.status).toBe(200)
    const token = exchanged.body.access_token as string
    const active = await oidc.tokenIntrospection(introspector, token)
    expect(active.active).toBe(true)
    expect(active.scope).toBe('read')
    expect([active.aud].flat()).toEqual([LEDGER])
    expect(active.client_id).toBe('deploy-bot')

    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'done' })
    await eventually(async () => (await t.admin('GET', `/v1/revocations/${revoked.body.revocation.id}`)).body.status === 'done')
    const job = await t.admin('GET', `/v1/revocations/${revoked.body.revocation.id}`)
    expect(job.body.tasks[0].outcome).toMatchObject({ kind: 'revoked' })
    expect((await oidc.tokenIntrospection(introspector, token)).active).toBe(false)
  })

  it('JWT access tokens: the server says inactive after RFC 7009, resource servers still accept the JWT: unrevocable until exp, and full dark is exp', async () => {
    const agent = await createTestAgent(t, { bindings: [{ ...binding, ceiling: ['read', `resource:${API}`] }] })
    const exchanged = await agent.exchange('corp-idp', `read resource:${API}`, await agent.token())
    expect(exchanged.status).toBe(200)
    const token = exchanged.body.access_token as string
    const exp = new Date(((await idp.inspect(token)) as { expiresAt: Date }).expiresAt)

    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'done' })
    const id = revoked.body.revocation.id
    await eventually(async () => (await t.admin('GET', `/v1/revocations/${id}`)).body.status === 'done')
    const job = await t.admin('GET', `/v1/revocations/${id}`)
    expect(job.body.tasks[0].outcome).toMatchObject({ kind: 'unrevocable-until' })
    expect((await oidc.tokenIntrospection(introspector, token)).active).toBe(false)
    expect(await idp.inspect(token)).toMatchObject({ active: true })
    const receipt = await t.admin('GET', `/v1/revocations/${id}/receipt`)
    expect(Math.abs(new Date(receipt.body.full_dark_at).getTime() - exp.getTime())).toBeLessThan(2_000)
    expect(receipt.body.summary).toMatchObject({ provably_dead: 0, dead_by_expiry: 1 })
  })

  it('a revocation endpoint answering 429 slow_down with Retry-After: the cascade waits, retries, and ends revoked', async () => {
    const agent = await createTestAgent(t, { bindings: [binding] })
    const exchanged = await agent.exchange('corp-idp', `read resource:${LEDGER}`, await agent.token())
    const token = exchanged.body.access_token as string
    await idp.throttle({ retryAfter: '1' })
    const before = idp.refused
    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'done' })
    const id = revoked.body.revocation.id
    try {
      await eventually(async () => idp.refused > before)
      const running = await t.admin('GET', `/v1/revocations/${id}`)
      expect(running.body.status).toBe('running')
    } finally {
      await idp.up()
    }
    await eventually(async () => (await t.admin('GET', `/v1/revocations/${id}`)).body.status === 'done')
    const job = await t.admin('GET', `/v1/revocations/${id}`)
    expect(job.body.tasks[0].outcome).toMatchObject({ kind: 'revoked' })
    expect((await oidc.tokenIntrospection(introspector, token)).active).toBe(false)
  })

  it('refuses a scope above the ceiling, and maps a server that is down to temporarily_unavailable with the grant failed', async () => {
    const agent = await createTestAgent(t, { bindings: [binding] })
    const token = await agent.token()
    const widened = await agent.exchange('corp-idp', `admin resource:${LEDGER}`, token)
    expect(widened.body.error).toBe('invalid_scope')
    await idp.down('unavailable')
    try {
      const down = await agent.exchange('corp-idp', `read resource:${LEDGER}`, token)
      expect(down.status).toBe(503)
      expect(down.body.error).toBe('temporarily_unavailable')
    } finally {
      await idp.up()
    }
    const grants = await t.admin('GET', `/v1/agents/${agent.handle}/grants`)
    expect(grants.body.grants.map((g: { status: string }) => g.status)).toEqual(['failed'])
  })

  it('refuses to start with plain http upstreams outside a sandbox deployment', async () => {
    await expect(
      startTestBroker({ env: { DEPLOY_BOT_SECRET: secret }, config: { systems: [{ name: 'corp-idp', type: 'oauth', issuer: idp.issuer, allowInsecureUpstreamHttp: true, clients: [{ clientId: 'deploy-bot', auth: 'client_secret_basic', clientSecret: { env: 'DEPLOY_BOT_SECRET' } }] }] } }),
    ).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID', message: expect.stringMatching(/systems\[0\].*sandbox/) })
  })
})
