import { createAgentClient } from '@lanyard/client'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { delegatingParent, spawn } from '../support/children.js'
import { memorySystem } from '../support/memory.js'

const mem = memorySystem('mem')
let t: TestBroker
beforeAll(async () => {
  t = await startTestBroker({ config: { systems: [mem.system], delegation: { maxDepth: 2, maxChildren: 2 } } })
})
afterAll(() => t.close())

it('refuses a child below delegation.maxDepth and past delegation.maxChildren; nothing is created or minted', async () => {
  const root = await delegatingParent(t)
  const child = await spawn(t, root.agent.handle, { name: 'c', ceilings: { mem: ['read'] } }, root.token)
  expect(child.status).toBe(201)
  const childToken = await createAgentClient({ brokerUrl: t.url, handle: child.body.handle, privateKey: { ...child.body.private_jwk, alg: 'EdDSA' }, dpop: false }).token()
  const grand = await spawn(t, child.body.handle, { name: 'g', ceilings: { mem: ['read'] } }, childToken)
  expect(grand.status).toBe(201)
  const grandToken = await createAgentClient({ brokerUrl: t.url, handle: grand.body.handle, privateKey: { ...grand.body.private_jwk, alg: 'EdDSA' }, dpop: false }).token()
  const tooDeep = await spawn(t, grand.body.handle, { name: 'x', ceilings: { mem: ['read'] } }, grandToken)
  expect(tooDeep).toMatchObject({ status: 409, body: { code: 'ERR_DELEGATION_DEPTH' } })
  expect((await t.admin('GET', `/v1/agents/x.${grand.body.handle}`)).status).toBe(404)

  // Fan-out: two live children, a third is refused; revoking one frees its place.
  expect((await spawn(t, root.agent.handle, { name: 'c2', ceilings: { mem: ['read'] } }, root.token)).status).toBe(201)
  expect(await spawn(t, root.agent.handle, { name: 'c3', ceilings: { mem: ['read'] } }, root.token)).toMatchObject({ status: 409, body: { code: 'ERR_CHILD_LIMIT' } })
  expect((await t.admin('POST', `/v1/agents/${root.agent.handle}/children/c2.${root.agent.handle}/revoke`, { reason: 'done' }, root.token)).status).toBe(202)
  expect((await spawn(t, root.agent.handle, { name: 'c3', ceilings: { mem: ['read'] } }, root.token)).status).toBe(201)
  expect(mem.upstream.liveCount()).toBe(0)
})
