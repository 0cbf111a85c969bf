import { createRemoteJWKSet, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { agentCardRel, agentStatusRel, createAgentClient, verifyAgentStatement } from '@lanyard/client'
import { createTestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { eventually, memorySystem } from '../support/memory.js'

describe('presence: the handle resolves to a signed card with live status (#21)', () => {
  const mem = memorySystem('mem')
  let t: TestBroker
  beforeAll(async () => {
    t = await startTestBroker({ config: { systems: [mem.system], presence: { maskOwner: true } } })
  })
  afterAll(() => t.close())

  it('public agent -> WebFinger -> card verifies -> statement valid -> revoke -> statement revoked, card revoked', async () => {
    const agent = await createTestAgent(t, { tier: 2, bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling: ['read'] }] })
    const client = createAgentClient({ brokerUrl: t.url, handle: agent.handle, privateKey: agent.privateKey })

    // 1. The agent is made public.
    const made = await t.admin('PUT', `/v1/agents/${agent.handle}/presence`, { presence: 'public', display_name: 'Deploy bot', description: 'Ships main', escalation_contact: 'mailto:security@acme.dev' })
    expect(made.status).toBe(200)
    expect(made.body).toMatchObject({ presence: 'public', display_name: 'Deploy bot', escalation_contact: 'mailto:security@acme.dev' })

    // 2. WebFinger resolves its handle.
    const finger = await fetch(`${t.url}/.well-known/webfinger?resource=acct:${agent.handle}`)
    expect(finger.status).toBe(200)
    expect(finger.headers.get('content-type')).toMatch(/^application\/jrd\+json/)
    const jrd = (await finger.json()) as { subject: string; links: { rel: string; href: string }[] }
    expect(jrd.subject).toBe(`acct:${agent.handle}`)
    const card = jrd.links.find((l) => l.rel === agentCardRel)!
    const status = jrd.links.find((l) => l.rel === agentStatusRel)!
    expect(card.href).toBe(`${t.issuer}/agents/${encodeURIComponent(agent.handle)}/card`)

    // 3. The card verifies against the broker's JWKS.
    const jwks = createRemoteJWKSet(new URL(`${t.issuer}/.well-known/jwks.json`))
    const cardJwt = await (await fetch(card.href)).text()
    const { payload, protectedHeader } = await jwtVerify(cardJwt, jwks, { issuer: t.issuer, subject: agent.handle, typ: 'lanyard-agent-card+jwt' })
    expect(protectedHeader.typ).toBe('lanyard-agent-card+jwt')
    expect(payload).toMatchObject({
      handle: agent.handle, name: 'Deploy bot', description: 'Ships main', owner: '***@acme.dev', provider: { organization: 'acme.dev', url: t.issuer },
      systems: [{ name: 'mem' }], trust_tier: 2, status: 'active', generation: 1,
      escalation: { contact: 'mailto:security@acme.dev', report_url: `${t.issuer}/agents/${encodeURIComponent(agent.handle)}/report` },
    })
    expect(JSON.stringify(payload.systems)).not.toContain('acme"') // no target, no scopes by default
    expect((payload.jwks as { keys: { kid: string }[] }).keys.map((k) => k.kid)).toEqual([agent.kid])
    expect(payload.exp! - payload.iat!).toBe(300)
    const live = await fetch(status.href)
    expect(live.headers.get('cache-control')).toBe('public, max-age=5')
    expect(await live.json()).toEqual({ status: 'active', generation: 1 })

    // 4. A statement the agent signs verifies from the handle alone.
    const statement = await client.signStatement({ commit: 'abc123', repo: 'acme/api' })
    const valid = await verifyAgentStatement(statement, { issuer: t.issuer })
    expect(valid).toMatchObject({ verdict: 'valid', handle: agent.handle, kid: agent.kid, payload: { commit: 'abc123', iss: agent.handle } })

    // 5. The agent is revoked; the SET pushed for it names the handle (sub_id iss_sub), see webhooks.
    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'key leaked' })
    expect(revoked.status).toBe(202)

    // 6. The same statement now verifies as signed by a revoked agent.
    await eventually(async () => (await verifyAgentStatement(statement, { issuer: t.issuer })).verdict === 'revoked')
    expect((await verifyAgentStatement(statement, { issuer: t.issuer })).status).toEqual({ status: 'revoked', generation: 2 })

    // 7. The card says revoked.
    const after = await jwtVerify(await (await fetch(card.href)).text(), jwks, { issuer: t.issuer, typ: 'lanyard-agent-card+jwt' })
    expect(after.payload).toMatchObject({ status: 'revoked', generation: 2 })
  })

  it('presence is settable at create, private by default; a card past its exp answers card-expired', async () => {
    const hidden = await createTestAgent(t)
    expect((await t.admin('GET', `/v1/agents/${hidden.handle}/presence`)).body).toMatchObject({ presence: 'private', display_name: null })
    expect((await fetch(`${t.url}/agents/${hidden.handle}/status`)).status).toBe(404)

    const handle = `shown-${Date.now()}@agents.test.dev`
    const created = await t.admin('POST', '/v1/agents', { handle, owner: 'owner@acme.dev', presence: 'public', display_name: 'Shown' })
    expect(created.status).toBe(201)
    expect(created.body.presence).toMatchObject({ presence: 'public', display_name: 'Shown' })
    const bad = await t.admin('POST', '/v1/agents', { handle: `bad-${handle}`, owner: 'owner@acme.dev', escalation_contact: 'http://plain.example' })
    expect(bad.status).toBe(400)
    expect(bad.body.code).toBe('ERR_REQUEST_INVALID')
    expect((await t.admin('GET', `/v1/agents/bad-${handle}`)).status).toBe(404)

    const agent = await createTestAgent(t)
    await t.admin('PUT', `/v1/agents/${agent.handle}/presence`, { presence: 'public' })
    const card = await (await fetch(`${t.url}/agents/${agent.handle}/card`)).text()
    const statement = await createAgentClient({ brokerUrl: t.url, handle: agent.handle, privateKey: agent.privateKey }).signStatement({ hello: 'world' })
    const later = { now: () => new Date(Date.now() + 10 * 60_000) }
    expect((await verifyAgentStatement(statement, { issuer: t.issuer, card, clock: later })).verdict).toBe('card-expired')
    expect((await verifyAgentStatement(statement, { issuer: t.issuer, card })).verdict).toBe('valid')

    // Made private again: the handle no longer resolves, and the verifier says so with a typed error.
    await t.admin('PUT', `/v1/agents/${agent.handle}/presence`, { presence: 'private' })
    await expect(verifyAgentStatement(statement, { issuer: t.issuer })).rejects.toMatchObject({ name: 'StatementUnverifiable', reason: 'unresolvable' })
  })

  it('reports about a public agent are recorded, capped and listed to admins', async () => {
    const agent = await createTestAgent(t)
    await t.admin('PUT', `/v1/agents/${agent.handle}/presence`, { presence: 'public' })
    const sent = await fetch(`${t.url}/agents/${agent.handle}/report`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'impersonation', text: 'it signed a commit as our bot', evidence: 'https://git.example/c/1' }),
    })
    expect(sent.status).toBe(202)
    const big = await fetch(`${t.url}/agents/${agent.handle}/report`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ category: 'other', text: 'x'.repeat(10_000) }) })
    expect(big.status).toBe(413)
    const listed = await t.admin('GET', `/v1/agents/${agent.handle}/reports`)
    expect(listed.body.reports).toHaveLength(1)
    expect(listed.body.reports[0]).toMatchObject({ category: 'impersonation', text: 'it signed a commit as our bot', evidence: 'https://git.example/c/1', contact: null })
    expect(listed.body.reports[0].source_digest).toMatch(/^[0-9a-f]{64}$/)
    expect(JSON.stringify(listed.body)).not.toContain('127.0.0.1')
  })

  it('WebFinger: 400 without an acct: resource, rel filters the links, CORS open (RFC 7033 §4.2, §4.3, §5)', async () => {
    const agent = await createTestAgent(t)
    await t.admin('PUT', `/v1/agents/${agent.handle}/presence`, { presence: 'public' })
    const missing = await fetch(`${t.url}/.well-known/webfinger`)
    expect(missing.status).toBe(400)
    expect(((await missing.json()) as { code: string }).code).toBe('ERR_REQUEST_INVALID')
    expect((await fetch(`${t.url}/.well-known/webfinger?resource=https://agents.test.dev/x`)).status).toBe(400)
    const filtered = await fetch(`${t.url}/.well-known/webfinger?resource=acct:${agent.handle}&rel=${encodeURIComponent(agentStatusRel)}`)
    expect(filtered.headers.get('access-control-allow-origin')).toBe('*')
    expect(((await filtered.json()) as { links: { rel: string }[] }).links.map((l) => l.rel)).toEqual([agentStatusRel])
  })
})

describe('presence: binding details on the card only when configured', () => {
  const mem = memorySystem('mem')
  let t: TestBroker
  beforeAll(async () => {
    t = await startTestBroker({ config: { systems: [mem.system], presence: { showBindingDetails: true, cardTtlSeconds: 60 } } })
  })
  afterAll(() => t.close())

  it('names targets and scopes, keeps the owner unmasked, and lives cardTtlSeconds', async () => {
    const agent = await createTestAgent(t, { bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling: ['read'] }] })
    await t.admin('PUT', `/v1/agents/${agent.handle}/presence`, { presence: 'public' })
    const card = await (await fetch(`${t.url}/agents/${agent.handle}/card`)).text()
    const { payload } = await jwtVerify(card, createRemoteJWKSet(new URL(`${t.issuer}/.well-known/jwks.json`)), { issuer: t.issuer, typ: 'lanyard-agent-card+jwt' })
    expect(payload).toMatchObject({ owner: 'owner@acme.dev', systems: [{ name: 'mem', target: { account: 'acme' }, scopes: ['read'] }] })
    expect(payload.exp! - payload.iat!).toBe(60)
  })
})
