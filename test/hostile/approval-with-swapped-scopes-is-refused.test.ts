import { afterAll, beforeAll, expect, it } from 'vitest'
import type { TestAgent } from '../support/agent.js'
import { approvalWorld, askApproval, exchangeWith } from '../support/approvals.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'

const world = approvalWorld()
let t: TestBroker
let agent: TestAgent
beforeAll(async () => {
  t = await startTestBroker({ config: world.config })
  agent = await world.agent(t)
})
afterAll(() => t.close())

it('refuses an approval for "read write" spent on any other scope set, minting nothing and leaving it unspent', async () => {
  const id = await askApproval(t, agent)
  expect((await t.admin('POST', `/v1/approvals/${id}/approve`, { approver: 'owner@acme.dev' })).status).toBe(200)
  for (const scope of ['write', 'read', 'read write admin', 'items:reports write read']) {
    const swapped = await exchangeWith(t, agent, { scope, approval_id: id })
    expect(swapped.status).toBe(400)
    expect(['ERR_APPROVAL_MISMATCH', 'ERR_SCOPE_WIDENING', 'ERR_SCOPE_UNKNOWN']).toContain(swapped.body.code)
  }
  expect((await exchangeWith(t, agent, { scope: 'write', approval_id: id })).body).toMatchObject({ error: 'invalid_grant', code: 'ERR_APPROVAL_MISMATCH' })
  expect(world.mem.upstream.liveCount()).toBe(0)
  expect((await t.admin('GET', `/v1/agents/${agent.handle}/grants`)).body.grants).toEqual([])
  expect((await t.admin('GET', `/v1/approvals/${id}`)).body.status).toBe('approved')
  // The exact set, in any order, still works once.
  expect((await exchangeWith(t, agent, { scope: 'write read', approval_id: id })).status).toBe(200)
})
