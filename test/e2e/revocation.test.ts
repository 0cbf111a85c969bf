import { randomUUID } from 'node:crypto'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent, uniqueHandle } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { eventually, memorySystem } from '../support/memory.js'

describe('revocation: scopes, dry run, receipts', () => {
  const mem = memorySystem('mem')
  const other = memorySystem('other', { revokeWith: 'secret' })
  let t: TestBroker
  const bindings = [
    { system: 'mem', target: { account: 'acme' }, ceiling: ['write'] },
    { system: 'other', target: { account: 'acme' }, ceiling: ['read'] },
  ]
  const done = async (id: string) => {
    await eventually(async () => (await t.admin('GET', `/v1/revocations/${id}`)).body.status === 'done')
    return (await t.admin('GET', `/v1/revocations/${id}`)).body
  }

  beforeAll(async () => {
    t = await startTestBroker({ config: { systems: [mem.system, other.system] } })
  })
  afterAll(() => t.close())

  it('dry run lists every live grant with its mechanism and the last expiry, and changes nothing', async () => {
    const agent = await createTestAgent(t, { bindings })
    const token = await agent.token()
    const a = await agent.exchange('mem', 'read', token)
    const b = await agent.exchange('other', 'read', token)
    const plan = await t.admin('POST', `/v1/agents/${agent.handle}/revoke?dry_run=1`)
    expect(plan.status).toBe(200)
    expect(plan.body.dry_run).toBe(true)
    expect(plan.body.grants.map((g: { id: string }) => g.id).sort()).toEqual([a.body.grant_id, b.body.grant_id].sort())
    expect(plan.body.grants.every((g: { mechanism: string }) => g.mechanism.length > 0)).toBe(true)
    expect(new Date(plan.body.last_expiry_at).getTime()).toBeGreaterThan(Date.now())
    expect((await t.admin('GET', `/v1/agents/${agent.handle}`)).body.status).toBe('active')
    expect(mem.upstream.allows(a.body.access_token, [])).toBe(true)
  })

  it('leaves out grants already expired: neither the dry run nor the job carries the dead history of an agent', async () => {
    const agent = await createTestAgent(t, { bindings })
    const fresh = await agent.exchange('mem', 'read')
    // A grant from the agent's past, live on record, whose credential expired a minute ago.
    const { store } = t.broker
    const binding = (await store.listBindings(agent.handle)).find((b) => b.system === 'mem')!
    const at = new Date(Date.now() - 3_600_000)
    const old = { id: randomUUID(), handle: agent.handle, bindingId: binding.id, system: 'mem', connectorType: 'memory', scopes: ['read'], status: 'pending' as const, createdAt: at, index: {} }
    const audit = (action: string) => ({ at, actor: `agent:${agent.handle}`, action, target: old.id, outcome: 'success' as const, details: {} })
    await store.beginGrant(old, (await store.getAgent(agent.handle))!.generation, audit('grant.requested'))
    await store.settleGrant(agent.handle, old.id, { status: 'live', expiresAt: new Date(Date.now() - 60_000), ref: { account: 'acme', tokenId: 'gone' }, index: {} }, audit('grant.issued'))

    const plan = await t.admin('POST', `/v1/agents/${agent.handle}/revoke?dry_run=1`)
    expect(plan.body.grants.map((g: { id: string }) => g.id)).toEqual([fresh.body.grant_id])
    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'rotation' })
    const job = await done(revoked.body.revocation.id)
    expect(job.tasks.map((task: { grant_id: string }) => task.grant_id)).toEqual([fresh.body.grant_id])
  })

  it('ends with a receipt signed by the broker: per grant outcome and proof, and full dark', async () => {
    const agent = await createTestAgent(t, { bindings })
    const token = await agent.token()
    await agent.exchange('mem', 'read', token)
    await agent.exchange('other', 'read', token)
    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'rotation' })
    const running = await t.admin('GET', `/v1/revocations/${revoked.body.revocation.id}/receipt`)
    if (running.status !== 200) expect(running.body.code).toBe('ERR_REVOCATION_RUNNING')
    await done(revoked.body.revocation.id)
    const receipt = await t.admin('GET', `/v1/revocations/${revoked.body.revocation.id}/receipt`)
    expect(receipt.status).toBe(200)
    const { payload, protectedHeader } = await jwtVerify(receipt.body.receipt, createRemoteJWKSet(new URL(`${t.issuer}/.well-known/jwks.json`)), { issuer: t.issuer, typ: 'lanyard-receipt+jwt' })
    expect(protectedHeader.alg).toBe('EdDSA')
    const body = payload as unknown as { grants: Array<{ outcome: string; proof?: string; system: string }>; full_dark_at: string; summary: Record<string, number> }
    expect(body.grants.map((g) => g.outcome)).toEqual(['revoked', 'revoked'])
    expect(body.grants.every((g) => g.proof === 'dead')).toBe(true)
    expect(body.summary).toMatchObject({ provably_dead: 2, failed: 0 })
    expect(new Date(body.full_dark_at).getTime()).toBeLessThanOrEqual(Date.now())
    expect(receipt.body.full_dark_at).toBe(body.full_dark_at)
  })

  it('revokes one grant and leaves the agent and its other grants alone', async () => {
    const agent = await createTestAgent(t, { bindings })
    const token = await agent.token()
    const keep = await agent.exchange('mem', 'read', token)
    const cut = await agent.exchange('mem', 'write', token)
    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/grants/${cut.body.grant_id}/revoke`, { reason: 'leaked in a log' })
    expect(revoked.status).toBe(202)
    await done(revoked.body.revocation.id)
    expect(mem.upstream.allows(cut.body.access_token, [])).toBe(false)
    expect(mem.upstream.allows(keep.body.access_token, [])).toBe(true)
    expect((await agent.exchange('mem', 'read', token)).status).toBe(200)
  })

  it('revokes the grants of one binding only', async () => {
    const agent = await createTestAgent(t, { bindings })
    const token = await agent.token()
    const memGrant = await agent.exchange('mem', 'read', token)
    const otherGrant = await agent.exchange('other', 'read', token)
    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/bindings/other/revoke`, { reason: 'system retired' })
    expect(revoked.status).toBe(202)
    const job = await done(revoked.body.revocation.id)
    expect(job.tasks.map((task: { grant_id: string }) => task.grant_id)).toEqual([otherGrant.body.grant_id])
    expect(other.upstream.allows(otherGrant.body.access_token, [])).toBe(false)
    expect(mem.upstream.allows(memGrant.body.access_token, [])).toBe(true)
  })

  it('suspends and cuts live grants in one call; resume brings back exchange, not the old credentials', async () => {
    const agent = await createTestAgent(t, { bindings })
    const token = await agent.token()
    const grant = await agent.exchange('mem', 'read', token)
    const suspended = await t.admin('POST', `/v1/agents/${agent.handle}/suspend`, { reason: 'anomaly', revoke_grants: true })
    expect(suspended.status).toBe(202)
    expect(suspended.body.agent.status).toBe('suspended')
    await done(suspended.body.revocation.id)
    expect(mem.upstream.allows(grant.body.access_token, [])).toBe(false)
    await t.admin('POST', `/v1/agents/${agent.handle}/resume`, { reason: 'false alarm' })
    expect((await agent.exchange('mem', 'read')).status).toBe(200)
  })

  it('cuts every agent of an owner who leaves', async () => {
    const owner = `leaver-${Date.now()}@acme.dev`
    const handles = [uniqueHandle('a'), uniqueHandle('b')]
    for (const handle of handles) await t.admin('POST', '/v1/agents', { handle, owner })
    const bystander = await createTestAgent(t, { bindings })
    const revoked = await t.admin('POST', `/v1/owners/${owner}/revoke`, { reason: 'left the company' })
    expect(revoked.status).toBe(202)
    expect(revoked.body.revocations.map((r: { agent: { handle: string } }) => r.agent.handle).sort()).toEqual([...handles].sort())
    for (const handle of handles) expect((await t.admin('GET', `/v1/agents/${handle}`)).body.status).toBe('revoked')
    expect((await t.admin('GET', `/v1/agents/${bystander.handle}`)).body.status).toBe('active')
  })

  it('refuses to revoke a revoked agent again, with a conflict problem', async () => {
    const agent = await createTestAgent(t)
    await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'one' })
    const again = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'two' })
    expect(again.status).toBe(409)
    expect(again.body.code).toBe('ERR_AGENT_NOT_ACTIVE')
  })
})
