import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createAgentClient } from '@lanyard/client'
import { createTestAgent, type TestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { memorySystem } from '../support/memory.js'

// A broker that asks for nonces: the SDK must learn one from `use_dpop_nonce` and carry on.
const mem = memorySystem('mem')
let t: TestBroker
let agent: TestAgent
beforeAll(async () => {
  t = await startTestBroker({ config: { systems: [mem.system], dpop: { nonce: true, requireDpop: true } } })
  agent = await createTestAgent(t, { bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling: ['read'] }] })
})
afterAll(() => t.close())

it('the SDK binds by default, follows the broker nonce, and the binding shows in introspection', async () => {
  const client = createAgentClient({ brokerUrl: t.url, handle: agent.handle, privateKey: { ...(await exportJWK(agent.privateKey)), alg: 'EdDSA' } })
  const credential = await client.exchange({ system: 'mem' })
  expect(credential.scope).toBe('read')
  const token = await client.token()
  const jkt = (decodeJwt(token).cnf as { jkt: string }).jkt
  expect(jkt).toMatch(/^[A-Za-z0-9_-]{43}$/)
  expect(jkt).not.toBe(await calculateJwkThumbprint(agent.publicJwk))
  const introspected = await t.form('/oauth/introspect', { token }, { authorization: `Bearer ${t.adminToken}` })
  expect(introspected.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt } })
  // A second system exchange reuses the token with a fresh proof each time.
  expect((await client.exchange({ system: 'mem', scope: 'read' })).scope).toBe('read')
  expect(mem.upstream.liveCount()).toBe(2)
})

it('dpop: false gives a bearer token, which a broker requiring DPoP refuses', async () => {
  const client = createAgentClient({ brokerUrl: t.url, handle: agent.handle, privateKey: { ...(await exportJWK(agent.privateKey)), alg: 'EdDSA' }, dpop: false })
  await expect(client.token()).rejects.toMatchObject({ error: 'invalid_dpop_proof' })
})
