import * as oidc from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent, jwtType, tokenExchange } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { eventually, memorySystem } from '../support/memory.js'

describe('token exchange (RFC 8693) through the broker', () => {
  const mem = memorySystem('mem')
  let t: TestBroker
  let client: oidc.Configuration
  const binding = { system: 'mem', target: { account: 'acme' }, ceiling: ['write', 'items:reports', 'items:logs'] }

  beforeAll(async () => {
    t = await startTestBroker({ config: { systems: [mem.system] } })
    client = await oidc.discovery(new URL(t.issuer), 'lanyard-agent', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] })
  })
  afterAll(() => t.close())

  it('returns a narrowed credential that works upstream for what was asked and nothing more', async () => {
    const agent = await createTestAgent(t, { bindings: [binding] })
    const response = await oidc.genericGrantRequest(client, tokenExchange, {
      subject_token: await agent.token(),
      subject_token_type: jwtType,
      resource: 'urn:lanyard:system:mem',
      scope: 'read items:reports',
    })
    expect(response.issued_token_type).toBe('urn:ietf:params:oauth:token-type:access_token')
    expect(response.scope).toBe('read items:reports')
    expect(mem.upstream.allows(response.access_token, ['read', 'items:reports'])).toBe(true)
    expect(mem.upstream.allows(response.access_token, ['write'])).toBe(false)
    expect(mem.upstream.allows(response.access_token, ['items:logs'])).toBe(false)

    const grants = await t.admin('GET', `/v1/agents/${agent.handle}/grants`)
    expect(grants.body.grants).toHaveLength(1)
    expect(grants.body.grants[0]).toMatchObject({ system: 'mem', scopes: ['read', 'items:reports'], status: 'live', id: response.grant_id })
    expect(JSON.stringify(grants.body)).not.toContain(response.access_token)
  })

  it('grants the whole ceiling when no scope is asked, and accepts `audience` for the system', async () => {
    const agent = await createTestAgent(t, { bindings: [binding] })
    const response = await t.form('/oauth/token', { grant_type: tokenExchange, subject_token: await agent.token(), subject_token_type: jwtType, audience: 'mem' })
    expect(response.status).toBe(200)
    expect(response.body.scope.split(' ').sort()).toEqual([...binding.ceiling].sort())
  })

  it.each([
    ['admin', 'invalid_scope', /exceeds the binding ceiling/],
    ['items:secrets', 'invalid_scope', /"items:secrets" exceeds/],
    ['delete-everything', 'invalid_scope', /not known/],
  ])('refuses scope %j with %s and records nothing', async (scope, error, description) => {
    const agent = await createTestAgent(t, { bindings: [binding] })
    const response = await agent.exchange('mem', scope)
    expect(response.status).toBe(400)
    expect(response.body.error).toBe(error)
    expect(response.body.error_description).toMatch(description)
    expect((await t.admin('GET', `/v1/agents/${agent.handle}/grants`)).body.grants).toEqual([])
  })

  it('answers invalid_target for an unknown system and for a system the agent is not bound to', async () => {
    const agent = await createTestAgent(t)
    const unknown = await agent.exchange('nope')
    expect(unknown.body.error).toBe('invalid_target')
    const unbound = await agent.exchange('mem')
    expect(unbound.body.error).toBe('invalid_target')
    expect(unbound.body.error_description).toMatch(/no binding/)
  })

  it('refuses exchanges while suspended, and old tokens after resume', async () => {
    const agent = await createTestAgent(t, { bindings: [binding] })
    const token = await agent.token()
    expect((await t.admin('POST', `/v1/agents/${agent.handle}/suspend`, { reason: 'investigating' })).body.status).toBe('suspended')
    const refused = await agent.exchange('mem', 'read', token)
    expect(refused.status).toBe(400)
    expect(refused.body.error).toBe('invalid_grant')
    const assertion = await t.form('/oauth/token', { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: await agent.assertion() })
    expect(assertion.body.error).toBe('invalid_grant')

    expect((await t.admin('POST', `/v1/agents/${agent.handle}/resume`, { reason: 'cleared' })).body.status).toBe('active')
    const stale = await agent.exchange('mem', 'read', token)
    expect(stale.body.error).toBe('invalid_request')
    expect(stale.body.error_description).toMatch(/authenticate again/)
    expect((await agent.exchange('mem', 'read')).status).toBe(200)
  })

  it('revokes: 202 with a durable job covering every live grant, credentials die upstream, nothing more is issued', async () => {
    const agent = await createTestAgent(t, { bindings: [binding] })
    const token = await agent.token()
    const tokens = await Promise.all([agent.exchange('mem', 'read', token), agent.exchange('mem', 'items:logs', token)])
    for (const r of tokens) expect(mem.upstream.allows(r.body.access_token, [])).toBe(true)

    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'left the team' })
    expect(revoked.status).toBe(202)
    expect(revoked.headers.get('location')).toBe(`/v1/revocations/${revoked.body.revocation.id}`)
    expect(revoked.body.agent.status).toBe('revoked')
    expect(revoked.body.revocation.tasks.map((task: { grant_id: string }) => task.grant_id).sort()).toEqual(tokens.map((r) => r.body.grant_id).sort())

    const after = await agent.exchange('mem', 'read', token)
    expect(after.body.error).toBe('invalid_grant')
    const assertion = await t.form('/oauth/token', { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: await agent.assertion() })
    expect(assertion.body.error).toBe('invalid_grant')

    await eventually(async () => (await t.admin('GET', `/v1/revocations/${revoked.body.revocation.id}`)).body.status === 'done')
    const job = await t.admin('GET', `/v1/revocations/${revoked.body.revocation.id}`)
    expect(job.body.tasks.map((task: { outcome: { kind: string } }) => task.outcome.kind)).toEqual(['revoked', 'revoked'])
    for (const r of tokens) expect(mem.upstream.allows(r.body.access_token, [])).toBe(false)
    const grants = await t.admin('GET', `/v1/agents/${agent.handle}/grants`)
    expect(grants.body.grants.map((g: { status: string }) => g.status)).toEqual(['revoked', 'revoked'])
  })

  it('keeps a verifiable audit chain of every step, and answers whois from the grant id', async () => {
    const agent = await createTestAgent(t, { bindings: [binding] })
    const exchanged = await agent.exchange('mem', 'read')
    const audit = await t.admin('GET', `/v1/agents/${agent.handle}/audit?verify=1`)
    expect(audit.body.verification).toMatchObject({ ok: true })
    expect(audit.body.events.map((e: { action: string }) => e.action)).toEqual(['agent.created', 'key.added', 'binding.created', 'grant.requested', 'grant.issued'])
    expect(JSON.stringify(audit.body)).not.toContain(exchanged.body.access_token)
    const whois = await t.admin('GET', `/v1/whois?grant_id=${exchanged.body.grant_id}`)
    expect(whois.body.matches).toEqual([expect.objectContaining({ handle: agent.handle, grant_id: exchanged.body.grant_id, system: 'mem' })])
  })

  it('fails closed when the upstream is down: temporarily_unavailable, the grant recorded failed', async () => {
    const agent = await createTestAgent(t, { bindings: [binding] })
    mem.upstream.available = false
    try {
      const response = await agent.exchange('mem', 'read')
      expect(response.status).toBe(503)
      expect(response.body.error).toBe('temporarily_unavailable')
    } finally {
      mem.upstream.available = true
    }
    const grants = await t.admin('GET', `/v1/agents/${agent.handle}/grants`)
    expect(grants.body.grants.map((g: { status: string }) => g.status)).toEqual(['failed'])
  })
})
