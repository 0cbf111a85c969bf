import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'

/** Named admins, roles and console sessions (#18), end to end over HTTP. */
describe('admins and roles', () => {
  let t: TestBroker
  const tokens: Record<string, string> = {}
  const as = (who: string, method: string, path: string, body?: unknown) => t.admin(method, path, body, tokens[who])

  beforeAll(async () => {
    t = await startTestBroker()
    for (const [subject, role] of [['ada@acme.test', 'admin'], ['rita@acme.test', 'responder'], ['otto@acme.test', 'owner'], ['aud@acme.test', 'auditor']] as const) {
      const created = await t.admin('POST', '/v1/admins', { subject, roles: [role] })
      expect(created.status).toBe(201)
      expect(created.body).toMatchObject({ principal: `admin:${subject}`, subject, roles: [role], token: expect.stringMatching(/^lya_/) })
      tokens[role] = created.body.token
    }
  })
  afterAll(() => t.close())

  it('GET /v1/me names the caller, its roles and how it signed in', async () => {
    expect((await as('responder', 'GET', '/v1/me')).body).toEqual({ principal: 'admin:rita@acme.test', subject: 'rita@acme.test', roles: ['responder'], via: 'token' })
    expect((await t.admin('GET', '/v1/me')).body).toEqual({ principal: 'admin:bootstrap', subject: 'bootstrap', roles: ['admin'], via: 'bootstrap' })
  })

  it('refuses a missing or unknown token with 401, a role it lacks with 403 ERR_ROLE_REQUIRED naming the roles', async () => {
    const none = await fetch(`${t.url}/v1/me`)
    expect(none.status).toBe(401)
    expect(await none.json()).toMatchObject({ code: 'ERR_CLIENT_UNAUTHORIZED' })
    expect((await t.admin('GET', '/v1/me', undefined, 'lya_unknown')).body).toMatchObject({ status: 401, code: 'ERR_CLIENT_UNAUTHORIZED' })
    const refused = await as('auditor', 'POST', '/v1/agents', { handle: 'x@agents.acme.test', owner: 'aud@acme.test' })
    expect(refused.status).toBe(403)
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(refused.body).toMatchObject({ code: 'ERR_ROLE_REQUIRED', requiredRoles: ['admin', 'owner'], detail: expect.stringContaining('admin, owner') })
  })

  it('lets an owner manage its own agents only', async () => {
    const mine = await as('owner', 'POST', '/v1/agents', { handle: 'mine@agents.acme.test', owner: 'otto@acme.test' })
    expect(mine.status).toBe(201)
    expect((await as('owner', 'POST', '/v1/agents', { handle: 'theirs@agents.acme.test', owner: 'someone@acme.test' })).body).toMatchObject({ code: 'ERR_ROLE_REQUIRED' })
    expect((await as('owner', 'POST', '/v1/agents', { handle: 'top@agents.acme.test', owner: 'otto@acme.test', tier: 3 })).body).toMatchObject({ status: 403, code: 'ERR_ROLE_REQUIRED', requiredRoles: ['admin'] })
    const other = await createTestAgent(t) // owned by owner@acme.dev
    expect((await as('owner', 'GET', `/v1/agents/${other.handle}`)).status).toBe(403)
    expect((await as('owner', 'POST', `/v1/agents/${other.handle}/suspend`, { reason: 'not mine' })).status).toBe(403)
    expect((await as('owner', 'POST', '/v1/agents/mine@agents.acme.test/suspend', { reason: 'mine' })).status).toBe(200)
    expect((await as('owner', 'GET', '/v1/agents')).status).toBe(403)
    const listed = await as('owner', 'GET', '/v1/agents?owner=otto@acme.test')
    expect(listed.body.agents.map((a: { handle: string }) => a.handle)).toEqual(['mine@agents.acme.test'])
  })

  it('enforces the role matrix route by route: allowed roles pass the gate (an invalid body then answers 400), the others get 403', async () => {
    const theirs = await createTestAgent(t) // owned by owner@acme.dev, not by any of these people
    const h = theirs.handle
    const all = ['admin', 'responder', 'owner', 'auditor']
    const readers = ['admin', 'responder', 'auditor']
    // [method, path, body, roles that pass]; write routes get a body the route refuses (400), so
    // nothing changes and a pass is told from a 403.
    const matrix: Array<[string, string, unknown, string[]]> = [
      ['GET', '/v1/me', undefined, all],
      ['GET', '/v1/systems', undefined, all],
      ['GET', `/v1/agents/${h}`, undefined, readers],
      ['GET', `/v1/agents/${h}/audit`, undefined, readers],
      ['GET', `/v1/agents/${h}/grants`, undefined, readers],
      ['GET', '/v1/whois?grant_id=none', undefined, readers],
      ['GET', '/v1/audit/checkpoints', undefined, readers],
      ['GET', '/v1/audit/admin', undefined, readers],
      ['GET', '/v1/admins', undefined, readers],
      ['GET', '/v1/approvals', undefined, readers],
      ['GET', '/v1/webhooks', undefined, readers],
      ['POST', `/v1/agents/${h}/revoke?dry_run=1`, undefined, ['admin', 'responder']],
      ['POST', `/v1/agents/${h}/suspend`, {}, ['admin', 'responder']],
      ['POST', `/v1/agents/${h}/revoke`, {}, ['admin', 'responder']],
      ['POST', `/v1/agents/${h}/bindings/mem/revoke`, {}, ['admin', 'responder']],
      ['POST', '/v1/owners/owner@acme.dev/revoke', {}, ['admin', 'responder']],
      ['POST', '/v1/approvals/none/approve', { note: '' }, ['admin', 'responder']],
      ['POST', `/v1/agents/${h}/incidents`, {}, ['admin', 'responder']],
      ['POST', `/v1/agents/${h}/resume`, {}, ['admin']],
      ['POST', `/v1/agents/${h}/bindings`, {}, ['admin']],
      ['POST', `/v1/agents/${h}/keys`, {}, ['admin']],
      ['POST', `/v1/agents/${h}/tier`, {}, ['admin']],
      ['POST', '/v1/agents', {}, ['admin']],
      ['POST', '/v1/webhooks', {}, ['admin']],
      ['POST', '/v1/signing-keys/rotate', { alg: 'none' }, ['admin']],
      ['POST', '/v1/admins', {}, ['admin']],
    ]
    for (const [method, path, body, allowed] of matrix) {
      for (const role of all) {
        const { status, body: answer } = await as(role, method, path, body)
        if (allowed.includes(role)) expect([401, 403], `${method} ${path} as ${role}`).not.toContain(status)
        else expect([method, path, role, status, answer?.code]).toEqual([method, path, role, 403, 'ERR_ROLE_REQUIRED'])
      }
    }
  })

  it('refuses a revoked or expired admin token with 401, and a revoked admin cannot be used for a session either', async () => {
    const created = await t.admin('POST', '/v1/admins', { subject: 'leaver@acme.test', roles: ['auditor'] })
    const token = created.body.token as string
    expect((await t.admin('GET', '/v1/me', undefined, token)).status).toBe(200)
    const listed = await t.admin('GET', '/v1/admins')
    expect(JSON.stringify(listed.body)).not.toContain(token)
    expect(listed.body.admins).toContainEqual(expect.objectContaining({ subject: 'leaver@acme.test', roles: ['auditor'], revoked_at: null }))
    expect((await t.admin('DELETE', '/v1/admins/leaver@acme.test')).body).toMatchObject({ revoked_at: expect.any(String) })
    expect((await t.admin('GET', '/v1/me', undefined, token)).body).toMatchObject({ status: 401, code: 'ERR_CLIENT_UNAUTHORIZED' })
    const session = await fetch(`${t.url}/console/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) })
    expect(session.status).toBe(401)
    expect((await t.admin('DELETE', '/v1/admins/nobody@acme.test')).body).toMatchObject({ status: 404, code: 'ERR_ADMIN_NOT_FOUND' })
    expect((await t.admin('POST', '/v1/admins', { subject: 'rita@acme.test', roles: ['admin'] })).body).toMatchObject({ status: 409, code: 'ERR_ADMIN_EXISTS' })
  })

  it('records the real principal as the actor of every admin action', async () => {
    const agent = await createTestAgent(t)
    expect((await as('responder', 'POST', `/v1/agents/${agent.handle}/suspend`, { reason: 'incident 42' })).status).toBe(200)
    const audit = await t.admin('GET', `/v1/agents/${agent.handle}/audit`)
    expect(audit.body.events.at(-1)).toMatchObject({ action: 'agent.suspended', actor: 'admin:rita@acme.test' })
    expect(audit.body.events[0]).toMatchObject({ actor: 'admin:bootstrap' })
  })

  it('signs in to the console with a named token: an HttpOnly SameSite=Strict cookie, usable only with the CSRF header', async () => {
    const signIn = await fetch(`${t.url}/console/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: tokens.auditor }) })
    expect(signIn.status).toBe(200)
    expect(await signIn.json()).toEqual({ principal: 'admin:aud@acme.test', subject: 'aud@acme.test', roles: ['auditor'], via: 'token' })
    const cookie = signIn.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/^lanyard_session=[A-Za-z0-9_-]{43};/)
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Strict/)
    expect(cookie).toMatch(/Path=\//)
    // The test broker listens on loopback: plain http, so no Secure.
    expect(cookie).not.toMatch(/Secure/)
    const session = cookie.split(';')[0]!
    const withCsrf = await fetch(`${t.url}/v1/me`, { headers: { cookie: session, 'x-lanyard-csrf': '1' } })
    expect(await withCsrf.json()).toMatchObject({ principal: 'admin:aud@acme.test', via: 'token' })
    const noCsrf = await fetch(`${t.url}/v1/me`, { headers: { cookie: session } })
    expect(noCsrf.status).toBe(401)
    expect(await noCsrf.json()).toMatchObject({ code: 'ERR_CLIENT_UNAUTHORIZED', detail: expect.stringContaining('X-Lanyard-CSRF: 1') })
    // A form post (not JSON) cannot sign in.
    const form = await fetch(`${t.url}/console/session`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${tokens.auditor}` })
    expect(form.status).toBe(415)
    const out = await fetch(`${t.url}/console/session`, { method: 'DELETE', headers: { cookie: session } })
    expect(out.status).toBe(204)
    expect(out.headers.get('set-cookie')).toMatch(/^lanyard_session=;/)
    expect((await fetch(`${t.url}/v1/me`, { headers: { cookie: session, 'x-lanyard-csrf': '1' } })).status).toBe(401)
  })
})
