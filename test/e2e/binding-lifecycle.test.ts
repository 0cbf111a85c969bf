import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { eventually, memorySystem } from '../support/memory.js'

describe('binding lifecycle: a cut sticks', () => {
  const mem = memorySystem('mem')
  let t: TestBroker
  const binding = { system: 'mem', target: { account: 'acme' }, ceiling: ['write'] }
  const done = async (id: string) => {
    await eventually(async () => (await t.admin('GET', `/v1/revocations/${id}`)).body.status === 'done')
    return (await t.admin('GET', `/v1/revocations/${id}`)).body
  }
  const taskIds = (job: { tasks: Array<{ grant_id: string }> }) => job.tasks.map((task) => task.grant_id).sort()
  const actions = async (handle: string) => (await t.admin('GET', `/v1/agents/${handle}/audit`)).body.events.map((e: { action: string }) => e.action) as string[]

  beforeAll(async () => {
    t = await startTestBroker({ config: { systems: [mem.system] } })
  })
  afterAll(() => t.close())

  it('after a binding revoke the same handle token exchanges nothing, until an admin binds the system again', async () => {
    const agent = await createTestAgent(t, { bindings: [binding] })
    const token = await agent.token()
    const grant = await agent.exchange('mem', 'read', token)
    expect(grant.status).toBe(200)

    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/bindings/mem/revoke`, { reason: 'system retired' })
    expect(revoked.status).toBe(202)
    expect(revoked.body.revocation.scope).toMatchObject({ kind: 'binding', system: 'mem' })
    await done(revoked.body.revocation.id)
    expect(mem.upstream.allows(grant.body.access_token, [])).toBe(false)

    // Full dark, and it stays dark: the same token (and a fresh one) exchanges nothing.
    for (const again of [await agent.exchange('mem', 'read', token), await agent.exchange('mem', 'read')]) {
      expect(again.status).toBe(400)
      // ERR_BINDING_REVOKED (the /oauth body names it by its description).
      expect(again.body.error).toBe('invalid_target')
      expect(again.body.error_description).toMatch(/binding to system "mem" is revoked/)
    }
    const shown = await t.admin('GET', `/v1/agents/${agent.handle}`)
    expect(shown.body.bindings).toMatchObject([{ system: 'mem', status: 'revoked' }])
    expect(shown.body.bindings[0].revoked_at).toEqual(expect.any(String))

    // A new binding, made on purpose, is audited as new and exchanges again.
    const rebound = await t.admin('POST', `/v1/agents/${agent.handle}/bindings`, binding)
    expect(rebound.status).toBe(201)
    expect(rebound.body).toMatchObject({ status: 'active', replaced: false })
    expect((await agent.exchange('mem', 'read', token)).status).toBe(200)
    expect((await actions(agent.handle)).filter((a) => a.startsWith('binding.'))).toEqual(['binding.created', 'binding.revoked', 'binding.created'])
  })

  it('re-binding does not escape the cut: a binding revoke takes the grants of every binding version', async () => {
    const agent = await createTestAgent(t, { bindings: [binding] })
    const first = await agent.exchange('mem', 'read')
    const replaced = await t.admin('POST', `/v1/agents/${agent.handle}/bindings`, binding)
    expect(replaced.body).toMatchObject({ replaced: true })
    expect(replaced.body.revocation).toBeUndefined()
    const second = await agent.exchange('mem', 'read')
    expect(mem.upstream.allows(first.body.access_token, [])).toBe(true)

    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/bindings/mem/revoke`, { reason: 'leak' })
    const job = await done(revoked.body.revocation.id)
    expect(taskIds(job)).toEqual([first.body.grant_id, second.body.grant_id].sort())
    expect(mem.upstream.allows(first.body.access_token, [])).toBe(false)
    expect(mem.upstream.allows(second.body.access_token, [])).toBe(false)
  })

  it('replacing a binding with a narrower ceiling revokes the grants wider than it, and keeps the rest', async () => {
    const agent = await createTestAgent(t, { bindings: [binding] })
    const wide = await agent.exchange('mem', 'write')
    const narrow = await agent.exchange('mem', 'read')
    const replaced = await t.admin('POST', `/v1/agents/${agent.handle}/bindings`, { ...binding, ceiling: ['read'] })
    expect(replaced.status).toBe(201)
    expect(replaced.body).toMatchObject({ replaced: true, ceiling: ['read'] })
    expect(taskIds(replaced.body.revocation)).toEqual([wide.body.grant_id])
    await done(replaced.body.revocation.id)
    expect(mem.upstream.allows(wide.body.access_token, [])).toBe(false)
    expect(mem.upstream.allows(narrow.body.access_token, ['read'])).toBe(true)
    expect((await agent.exchange('mem', 'write')).body.error).toBe('invalid_scope')
    const audit = (await t.admin('GET', `/v1/agents/${agent.handle}/audit`)).body.events.find((e: { action: string }) => e.action === 'binding.replaced')
    expect(audit.details).toMatchObject({ revocation_id: replaced.body.revocation.id, revoked_grants: 1 })
  })

  it('DELETE removes the binding and revokes what it issued (202 with the job)', async () => {
    const agent = await createTestAgent(t, { bindings: [binding] })
    const grant = await agent.exchange('mem', 'read')
    const removed = await t.admin('DELETE', `/v1/agents/${agent.handle}/bindings/mem`)
    expect(removed.status).toBe(202)
    expect(removed.headers.get('location')).toBe(`/v1/revocations/${removed.body.revocation.id}`)
    const job = await done(removed.body.revocation.id)
    expect(taskIds(job)).toEqual([grant.body.grant_id])
    expect(mem.upstream.allows(grant.body.access_token, [])).toBe(false)
    expect((await t.admin('GET', `/v1/agents/${agent.handle}`)).body.bindings).toEqual([])
    const unbound = await agent.exchange('mem', 'read')
    expect(unbound.body.error).toBe('invalid_target')
    expect(unbound.body.error_description).toMatch(/no binding/)
    const again = await t.admin('DELETE', `/v1/agents/${agent.handle}/bindings/mem`, { reason: 'twice' })
    expect(again.status).toBe(404)
    expect(again.body.code).toBe('ERR_BINDING_NOT_FOUND')
    expect(await actions(agent.handle)).toContain('binding.removed')
  })

  it('a revoked agent is given no binding (409), and its handle is never reused by a new agent', async () => {
    const agent = await createTestAgent(t, { bindings: [binding] })
    await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'decommissioned' })
    const bound = await t.admin('POST', `/v1/agents/${agent.handle}/bindings`, binding)
    expect(bound.status).toBe(409)
    expect(bound.body.code).toBe('ERR_AGENT_NOT_ACTIVE')
    const before = await actions(agent.handle)
    expect(before).not.toContain('binding.refused')

    const reused = await t.admin('POST', '/v1/agents', { handle: agent.handle, owner: 'someone-else@acme.dev' })
    expect(reused.status).toBe(409)
    expect(reused.body.code).toBe('ERR_AGENT_EXISTS')
    const shown = await t.admin('GET', `/v1/agents/${agent.handle}`)
    expect(shown.body).toMatchObject({ status: 'revoked', owner: 'owner@acme.dev' })
    expect(await actions(agent.handle)).toEqual(before)
  })
})
