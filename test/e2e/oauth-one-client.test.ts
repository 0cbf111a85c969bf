import { startOAuthSandbox, type OAuthSandbox } from '@lanyard/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'

const LEDGER = 'https://ledger.example.test/'
const secret = 'a1b2c3d4e5f60718293a4b5c6d7e8f90-client-secret'

describe('OAuth: one client serves one agent', () => {
  let idp: OAuthSandbox
  let t: TestBroker
  const bindTo = (clientId: string) => ({ system: 'corp-idp', target: { clientId }, ceiling: ['read', `resource:${LEDGER}`] })

  beforeAll(async () => {
    idp = await startOAuthSandbox({
      scopes: ['read'],
      resources: { [LEDGER]: { scopes: ['read'], accessTokenFormat: 'opaque', accessTokenTtlSeconds: 300 } },
      clients: ['bot-a', 'bot-b'].map((clientId) => ({ clientId, auth: 'client_secret_basic' as const, clientSecret: secret })),
    })
    t = await startTestBroker({
      env: { CLIENT_SECRET: secret },
      config: {
        sandbox: true,
        upstream: { allowInsecureUpstreamHttp: true },
        systems: [
          {
            name: 'corp-idp', type: 'oauth', issuer: idp.issuer, allowInsecureUpstreamHttp: true,
            clients: ['bot-a', 'bot-b'].map((clientId) => ({ clientId, auth: 'client_secret_basic', clientSecret: { env: 'CLIENT_SECRET' } })),
          },
        ],
      },
    })
  })
  afterAll(async () => {
    await t?.close()
    await idp?.close()
  })

  it('refuses to bind a second agent to a client another agent holds (409 ERR_BINDING_CONFLICT), until that binding ends', async () => {
    const first = await createTestAgent(t, { bindings: [bindTo('bot-a')] })
    const second = await createTestAgent(t)
    const refused = await t.admin('POST', `/v1/agents/${second.handle}/bindings`, bindTo('bot-a'))
    expect(refused.status).toBe(409)
    expect(refused.body.code).toBe('ERR_BINDING_CONFLICT')
    expect((await t.admin('GET', `/v1/agents/${second.handle}`)).body.bindings).toEqual([])

    // Its own client is fine; the first agent may re-bind its own.
    expect((await t.admin('POST', `/v1/agents/${second.handle}/bindings`, bindTo('bot-b'))).status).toBe(201)
    expect((await t.admin('POST', `/v1/agents/${first.handle}/bindings`, bindTo('bot-a'))).body.replaced).toBe(true)
    expect((await t.admin('POST', `/v1/agents/${first.handle}/bindings`, bindTo('bot-b'))).body.code).toBe('ERR_BINDING_CONFLICT')

    // Once the first agent's binding is removed (or the agent revoked), the client is free.
    expect((await t.admin('DELETE', `/v1/agents/${first.handle}/bindings/corp-idp`)).status).toBe(202)
    const third = await createTestAgent(t, { bindings: [bindTo('bot-a')] })
    await t.admin('POST', `/v1/agents/${third.handle}/revoke`, { reason: 'gone' })
    expect((await t.admin('GET', `/v1/agents/${third.handle}`)).body.bindings).toMatchObject([{ system: 'corp-idp', status: 'revoked' }])
    expect((await t.admin('POST', `/v1/agents/${first.handle}/bindings`, bindTo('bot-a'))).status).toBe(201)
  })
})
