import { expect, it } from 'vitest'
import { hostileBroker } from '../support/hostile.js'

const h = hostileBroker()

// An `owner` reaches only agents whose owner is its own subject. Every route it may use on its
// own agents answers 403 ERR_ROLE_REQUIRED on someone else's, and changes nothing.
it("refuses an owner every write and read on another owner's agent, naming the roles that may", async () => {
  const { token } = (await h.t.admin('POST', '/v1/admins', { subject: 'mallory@acme.test', roles: ['owner'] })).body as { token: string }
  const target = h.other.handle
  const attempts: Array<[string, string, unknown]> = [
    ['GET', `/v1/agents/${target}`, undefined],
    ['GET', `/v1/agents/${target}/grants`, undefined],
    ['GET', `/v1/agents/${target}/audit`, undefined],
    ['POST', `/v1/agents/${target}/suspend`, { reason: 'mine now' }],
    ['POST', `/v1/agents/${target}/revoke`, { reason: 'mine now' }],
    ['POST', `/v1/agents/${target}/keys`, { jwk: { kty: 'OKP', crv: 'Ed25519', x: 'AAAA' } }],
    ['POST', `/v1/agents/${target}/bindings`, { system: 'mem', target: { account: 'acme' }, ceiling: ['read'] }],
    ['DELETE', `/v1/agents/${target}/bindings/mem`, undefined],
    ['PUT', `/v1/agents/${target}/presence`, { presence: 'public' }],
    ['POST', '/v1/agents', { handle: 'stolen@agents.test.dev', owner: 'someone-else@acme.test' }],
    ['POST', '/v1/owners/owner@acme.dev/revoke', { reason: 'mine now' }],
    ['GET', '/v1/agents', undefined],
    ['GET', '/v1/agents?owner=owner@acme.dev', undefined],
    ['GET', '/v1/whois?grant_id=x', undefined],
  ]
  for (const [method, path, body] of attempts) {
    const refused = await h.t.admin(method, path, body, token)
    expect([method, path, refused.status, refused.body?.code]).toEqual([method, path, 403, 'ERR_ROLE_REQUIRED'])
  }
  expect((await h.t.admin('GET', `/v1/agents/${target}`)).body).toMatchObject({ status: 'active', owner: expect.not.stringMatching(/mallory/) })
  expect((await h.t.admin('GET', '/v1/agents/stolen@agents.test.dev')).status).toBe(404)
  await h.expectNothingMinted()
})
