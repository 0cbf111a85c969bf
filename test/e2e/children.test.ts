import { exportJWK } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createAgentClient } from '@lanyard/client'
import { createTestAgent, uniqueHandle } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { memorySystem } from '../support/memory.js'

describe('sub-agents: a parent spawns children by its own handle token (#17)', () => {
  const mem = memorySystem('mem')
  let t: TestBroker
  beforeAll(async () => {
    t = await startTestBroker({ config: { systems: [mem.system] } })
  })
  afterAll(() => t.close())

  const parentWith = (delegable: boolean, ceiling = ['write']) => createTestAgent(t, { handle: uniqueHandle('deploy'), tier: 2, bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling, delegable } as never] })
  const clientOf = async (handle: string, privateKey: CryptoKey | Record<string, unknown>) =>
    createAgentClient({ brokerUrl: t.url, handle, privateKey: 'kty' in privateKey ? (privateKey as never) : { ...(await exportJWK(privateKey as CryptoKey)), alg: 'EdDSA' } })

  it('spawnChild: the child is `<name>.<parent>`, owns its key and a narrowed binding, exchanges alone, and both chains link', async () => {
    const parent = await parentWith(true)
    const sdk = await clientOf(parent.handle, parent.privateKey)
    const child = await sdk.spawnChild({ name: 'worker-1', ceilings: { mem: ['read'] }, labels: { job: 'tests' } })
    const [local, domain] = parent.handle.split('@')
    expect(child.handle).toBe(`worker-1.${local}@${domain}`)
    expect(child.privateJwk?.d).toBeTypeOf('string')
    expect(child.agent).toMatchObject({ parent: parent.handle, owner: 'owner@acme.dev', tier: 2, labels: { job: 'tests' }, status: 'active' })
    expect((child.agent.bindings as Array<{ ceiling: string[] }>)[0]!.ceiling).toEqual(['read'])

    // The child signs in with its own key and exchanges within its ceiling, never beyond it.
    const worker = await clientOf(child.handle, { ...child.privateJwk!, alg: 'EdDSA' })
    const credential = await worker.exchange({ system: 'mem', scope: 'read' })
    expect(mem.upstream.allows(credential.access_token, ['read'])).toBe(true)
    await expect(worker.exchange({ system: 'mem', scope: 'write' })).rejects.toMatchObject({ error: 'invalid_scope' })

    const childAudit = (await t.admin('GET', `/v1/agents/${child.handle}/audit`)).body.events as Array<{ action: string; actor: string; details: Record<string, unknown> }>
    expect(childAudit[0]).toMatchObject({ action: 'agent.created', actor: `agent:${parent.handle}`, details: { parent: parent.handle, depth: 1 } })
    const parentAudit = (await t.admin('GET', `/v1/agents/${parent.handle}/audit`)).body.events as Array<{ action: string; details: Record<string, unknown> }>
    expect(parentAudit.find((e) => e.action === 'child.spawned')?.details).toMatchObject({ child: child.handle, ceilings: { mem: ['read'] } })
    expect(JSON.stringify(childAudit)).not.toContain(String(child.privateJwk!.d))
  })

  it('takes a public JWK instead, returning no private key; the admin may spawn too; children are listed', async () => {
    const parent = await parentWith(true)
    const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])
    const publicJwk = await exportJWK(pair.publicKey)
    const spawned = await t.admin('POST', `/v1/agents/${parent.handle}/children`, { name: 'own-key', ceilings: { mem: ['read'] }, publicJwk, ttlSeconds: 3600 })
    expect(spawned.status).toBe(201)
    expect(spawned.body.private_jwk).toBeUndefined()
    expect(new Date(spawned.body.expires_at).getTime()).toBeGreaterThan(Date.now() + 3_500_000)
    const worker = await clientOf(spawned.body.handle, pair.privateKey)
    expect((await worker.exchange({ system: 'mem', scope: 'read' })).scope).toBe('read')
    const listed = await t.admin('GET', `/v1/agents/${parent.handle}/children`)
    expect(listed.body.children.map((c: { handle: string }) => c.handle)).toEqual([spawned.body.handle])
  })

  it('a binding without `delegable: true` is not handed down, and nothing is created', async () => {
    const parent = await parentWith(false)
    const refused = await t.admin('POST', `/v1/agents/${parent.handle}/children`, { name: 'nope', ceilings: { mem: ['read'] } }, await parent.token())
    expect(refused.status).toBe(403)
    expect(refused.body.code).toBe('ERR_DELEGATION_DENIED')
    const [local, domain] = parent.handle.split('@')
    expect((await t.admin('GET', `/v1/agents/nope.${local}@${domain}`)).status).toBe(404)
  })

  it('the parent suspends and revokes its own child with its handle token; the revoke is a job', async () => {
    const parent = await parentWith(true)
    const token = await parent.token()
    const a = await t.admin('POST', `/v1/agents/${parent.handle}/children`, { name: 'a', ceilings: { mem: ['read'] } }, token)
    const b = await t.admin('POST', `/v1/agents/${parent.handle}/children`, { name: 'b', ceilings: { mem: ['read'] } }, token)
    const suspended = await t.admin('POST', `/v1/agents/${parent.handle}/children/${a.body.handle}/suspend`, { reason: 'pause' }, token)
    expect(suspended.body).toMatchObject({ status: 'suspended' })
    const revoked = await t.admin('POST', `/v1/agents/${parent.handle}/children/${b.body.handle}/revoke`, { reason: 'done' }, token)
    expect(revoked.status).toBe(202)
    expect(revoked.body.revocation.actor).toBe(`agent:${parent.handle}`)
    expect((await t.admin('GET', `/v1/agents/${b.body.handle}`)).body.status).toBe('revoked')
    // The parent's handle token opens nothing else of /v1.
    expect((await t.admin('GET', `/v1/agents/${parent.handle}`, undefined, token)).status).toBe(401)
  })
})
