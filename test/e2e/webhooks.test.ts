import { randomUUID } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { eventually, memorySystem } from '../support/memory.js'

const sessionRevoked = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked'
const credentialChange = 'https://schemas.openid.net/secevent/caep/event-type/credential-change'

interface Received {
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** A relying party's RFC 8935 endpoint: records each push and answers what `answer` says (202 by default). */
async function startReceiver(answer: (n: number) => { status: number; body?: unknown } = () => ({ status: 202 })) {
  const received: Received[] = []
  const waiting: Array<{ count: number; resolve: () => void }> = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      const { status, body } = answer(received.length)
      res.writeHead(status, { 'content-type': 'application/json' }).end(body === undefined ? '' : JSON.stringify(body))
      for (const waiter of waiting.filter((w) => received.length >= w.count)) waiter.resolve()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/caep/events`,
    received,
    /** Resolves once `count` pushes have arrived. */
    waitFor: (count: number) => (received.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ count, resolve }))),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe('revocation webhooks: CAEP SETs pushed to relying parties (RFC 8417, RFC 8935)', () => {
  const mem = memorySystem('mem')
  const binding = { system: 'mem', target: { account: 'acme' }, ceiling: ['write', 'items:reports'] }
  let t: TestBroker
  let jwks: ReturnType<typeof createRemoteJWKSet>
  const receivers: Array<{ close(): Promise<void> }> = []

  beforeAll(async () => {
    // Backoff of a few ms and a fast poll: retries happen within the test, without sleeping.
    // Receivers listen on loopback: a sandbox deployment.
    t = await startTestBroker({ config: { sandbox: true, systems: [mem.system], webhooks: { backoffBaseMs: 1, backoffMaxMs: 5, pollMs: 20, maxAttempts: 4 } } })
    jwks = createRemoteJWKSet(new URL(`${t.url}/.well-known/jwks.json`))
  })
  afterAll(async () => {
    await t.close()
    await Promise.all(receivers.map((r) => r.close()))
  })

  async function receiver(answer?: Parameters<typeof startReceiver>[0]) {
    const started = await startReceiver(answer)
    receivers.push(started)
    return started
  }

  async function subscribe(url: string, events?: string[]) {
    const created = await t.admin('POST', '/v1/webhooks', { url, ...(events ? { events } : {}) })
    expect(created.status).toBe(201)
    return created.body as { id: string; url: string; events: string[]; created_at: string }
  }

  /** Verifies a pushed SET against the broker's published keys, as a relying party would. */
  async function verifySet(push: Received, audience: string): Promise<JWTPayload & Record<string, any>> {
    expect(push.headers['content-type']).toBe('application/secevent+jwt')
    const { payload, protectedHeader } = await jwtVerify(push.body, jwks, { issuer: t.issuer, audience, typ: 'secevent+jwt', algorithms: ['ES256'] })
    expect(protectedHeader.alg).toBe('ES256')
    return payload as JWTPayload & Record<string, any>
  }

  it('pushes a verifiable session-revoked SET for a revoked agent, then credential-change for each grant the cascade revoked', async () => {
    const rp = await receiver()
    const hook = await subscribe(rp.url)
    expect(hook).toMatchObject({ url: rp.url, events: ['revocation.started', 'revocation.finished'] })
    expect((await t.admin('GET', '/v1/webhooks')).body.webhooks).toContainEqual(hook)

    const agent = await createTestAgent(t, { bindings: [binding] })
    const issued = await agent.exchange('mem', 'items:reports')
    expect(issued.status).toBe(200)
    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'key leaked in CI logs' })
    expect(revoked.status).toBe(202)
    const revocationId = revoked.body.revocation.id as string

    await rp.waitFor(2)
    const sets = await Promise.all(rp.received.map((push) => verifySet(push, rp.url)))
    const subject = { format: 'iss_sub', iss: t.issuer, sub: agent.handle }
    const session = sets.find((set) => sessionRevoked in set.events)
    expect(session).toMatchObject({ iss: t.issuer, aud: rp.url, txn: revocationId, sub_id: subject })
    expect(session?.events[sessionRevoked]).toEqual({ subject, initiating_entity: 'admin', reason_admin: { en: 'key leaked in CI logs' }, event_timestamp: expect.any(Number) })
    const change = sets.find((set) => credentialChange in set.events)
    expect(change).toMatchObject({ txn: revocationId, sub_id: subject })
    expect(change?.events[credentialChange]).toMatchObject({ subject, credential_type: 'lanyard-grant', change_type: 'revoke', friendly_name: `mem/${issued.body.grant_id}` })
    expect(mem.upstream.allows(issued.body.access_token, ['items:reports'])).toBe(false)
    expect(new Set(sets.map((set) => set.jti)).size).toBe(2)
    for (const push of rp.received) expect(decodeProtectedHeader(push.body).typ).toBe('secevent+jwt')

    // The delivery ids are the SETs' jti: what the receiver logged is what the broker lists.
    await eventually(async () => (await t.admin('GET', `/v1/webhooks/${hook.id}/deliveries`)).body.deliveries.every((d: any) => d.status === 'delivered'))
    const listed = (await t.admin('GET', `/v1/webhooks/${hook.id}/deliveries`)).body.deliveries
    expect(listed.map((d: any) => d.id).sort()).toEqual(sets.map((set) => set.jti).sort())
    for (const d of listed) expect(d).toEqual({ id: d.id, status: 'delivered', attempts: 1, created_at: expect.any(String), delivered_at: expect.any(String) })

    expect((await t.admin('DELETE', `/v1/webhooks/${hook.id}`)).status).toBe(204)
    const again = await t.admin('DELETE', `/v1/webhooks/${hook.id}`)
    expect(again.status).toBe(404)
    expect(again.headers.get('content-type')).toMatch(/application\/problem\+json/)
    expect((await t.admin('GET', `/v1/webhooks/${hook.id}/deliveries`)).status).toBe(404)
    expect((await t.admin('GET', '/v1/webhooks')).body.webhooks.map((w: any) => w.id)).not.toContain(hook.id)
  })

  it('announces a revocation whose replica died right after committing it: the SETs come from the store outbox, not from memory', async () => {
    const rp = await receiver()
    const hook = await subscribe(rp.url)
    const agent = await createTestAgent(t, { bindings: [binding] })
    const issued = await agent.exchange('mem', 'items:reports')
    expect(issued.status).toBe(200)

    // What such a replica leaves behind: the revocation committed in the shared store, and no
    // event in any process (written here straight to the store, past the use case that emits it).
    const revocationId = randomUUID()
    const at = new Date()
    await t.broker.store.startRevocation(
      { id: revocationId, scope: { kind: 'agent', handle: agent.handle }, reason: 'replica died', actor: 'admin:test', createdAt: at, statusChange: { status: 'revoked', reason: 'replica died', from: ['active', 'suspended'] } },
      { at, actor: 'admin:test', action: 'agent.revoked', target: agent.handle, outcome: 'success', details: {} },
    )

    await rp.waitFor(2)
    const sets = await Promise.all(rp.received.map((push) => verifySet(push, rp.url)))
    expect(sets.map((set) => set.txn)).toEqual([revocationId, revocationId])
    expect(sets.flatMap((set) => Object.keys(set.events)).sort()).toEqual([credentialChange, sessionRevoked].sort())
    expect(mem.upstream.allows(issued.body.access_token, ['items:reports'])).toBe(false)
    expect((await t.admin('DELETE', `/v1/webhooks/${hook.id}`)).status).toBe(204)
  })

  it('retries a receiver that answers 500 until it acknowledges: the same SET arrives on the third attempt', async () => {
    const rp = await receiver((n) => (n <= 2 ? { status: 500 } : { status: 202 }))
    const hook = await subscribe(rp.url, ['revocation.started'])
    const agent = await createTestAgent(t)
    await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'owner left' })

    await rp.waitFor(3)
    expect(new Set(rp.received.map((push) => push.body)).size).toBe(1)
    const set = await verifySet(rp.received[2]!, rp.url)
    expect(set.events[sessionRevoked].subject).toEqual({ format: 'iss_sub', iss: t.issuer, sub: agent.handle })

    await eventually(async () => (await t.admin('GET', `/v1/webhooks/${hook.id}/deliveries`)).body.deliveries[0]?.status === 'delivered')
    const [delivery] = (await t.admin('GET', `/v1/webhooks/${hook.id}/deliveries`)).body.deliveries
    expect(delivery).toMatchObject({ id: set.jti, status: 'delivered', attempts: 3, last_error: 'receiver answered 500', delivered_at: expect.any(String) })
    expect(rp.received).toHaveLength(3)
    await t.admin('DELETE', `/v1/webhooks/${hook.id}`)
  })

  it('gives a delivery up as failed once its attempts are spent, keeping the receiver\'s RFC 8935 error code', async () => {
    const rp = await receiver(() => ({ status: 400, body: { err: 'invalid_key', description: 'unknown kid' } }))
    const hook = await subscribe(rp.url, ['revocation.started'])
    const agent = await createTestAgent(t)
    await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'retired' })

    await eventually(async () => (await t.admin('GET', `/v1/webhooks/${hook.id}/deliveries`)).body.deliveries[0]?.status === 'failed')
    const [delivery] = (await t.admin('GET', `/v1/webhooks/${hook.id}/deliveries`)).body.deliveries
    expect(delivery).toMatchObject({ status: 'failed', attempts: 4, last_error: 'receiver answered 400 (invalid_key)' })
    expect(delivery.delivered_at).toBeUndefined()
    expect(rp.received).toHaveLength(4)
    await t.admin('DELETE', `/v1/webhooks/${hook.id}`)
  })

  it('announces a single grant\'s revocation as credential-change, not as a revoked session', async () => {
    const rp = await receiver()
    const hook = await subscribe(rp.url, ['revocation.started'])
    const agent = await createTestAgent(t, { bindings: [binding] })
    const issued = await agent.exchange('mem', 'items:reports')
    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/grants/${issued.body.grant_id}/revoke`, { reason: 'scope no longer needed' })
    expect(revoked.status).toBe(202)

    await rp.waitFor(1)
    const set = await verifySet(rp.received[0]!, rp.url)
    expect(Object.keys(set.events)).toEqual([credentialChange])
    expect(set.events[credentialChange]).toMatchObject({ change_type: 'revoke', friendly_name: `mem/${issued.body.grant_id}`, reason_admin: { en: 'scope no longer needed' } })
    expect(set.txn).toBe(revoked.body.revocation.id)
    expect((await t.admin('GET', `/v1/agents/${agent.handle}`)).body.status).toBe('active')
    await t.admin('DELETE', `/v1/webhooks/${hook.id}`)
  })

  it.each([
    [{ url: 'ftp://rp.example.com/hook' }, 'body.url: expected an http(s) URL'],
    [{ url: 'not a url' }, 'body.url: expected an absolute http(s) URL'],
    [{ url: 'https://10.0.0.1/hook' }, 'body.url: a private-network address is refused (allowed only with `allowPrivateNetwork: true`)'],
    [{ url: 'https://169.254.169.254/hook' }, 'body.url: a link-local, cloud-metadata or unspecified address is refused always'],
    [{ url: 'https://user:secret@rp.example.com/hook' }, 'body.url: must not carry credentials'],
    [{ url: 'https://rp.example.com/hook', events: ['agent.created'] }, expect.stringMatching(/^body\.events\.0: /)],
    [{ url: 'https://rp.example.com/hook', events: [] }, expect.stringMatching(/^body\.events: /)],
    [{ url: 'https://rp.example.com/hook', secret: 'x' }, expect.stringMatching(/^body: .*secret/)],
  ])('refuses %j with a problem naming the field', async (body, issue) => {
    const before = (await t.admin('GET', '/v1/webhooks')).body.webhooks.length
    const refused = await t.admin('POST', '/v1/webhooks', body)
    expect(refused.status).toBe(400)
    expect(refused.body).toMatchObject({ code: 'ERR_REQUEST_INVALID', errors: [issue] })
    expect(JSON.stringify(refused.body)).not.toContain('secret@')
    expect((await t.admin('GET', '/v1/webhooks')).body.webhooks).toHaveLength(before)
  })

  it('accepts https anywhere, and needs the admin bearer', async () => {
    const hook = await subscribe('https://rp.example.com/caep?tenant=acme', ['revocation.finished'])
    expect(hook).toMatchObject({ url: 'https://rp.example.com/caep?tenant=acme', events: ['revocation.finished'] })
    expect((await t.admin('GET', '/v1/webhooks', undefined, 'wrong-token')).status).toBe(401)
    expect((await t.admin('POST', '/v1/webhooks', { url: 'https://evil.example.com/' }, 'wrong-token')).status).toBe(401)
    expect((await t.admin('DELETE', `/v1/webhooks/${hook.id}`)).status).toBe(204)
  })
})
