import { afterAll, beforeAll, expect, it } from 'vitest'
import type { TestAgent } from '../support/agent.js'
import { approvalWorld, askApproval, exchangeWith } from '../support/approvals.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'

const world = approvalWorld()
let t: TestBroker
let agent: TestAgent
let thief: TestAgent
beforeAll(async () => {
  t = await startTestBroker({ config: world.config })
  agent = await world.agent(t)
  thief = await world.agent(t)
})
afterAll(() => t.close())

it("refuses another agent's approval with ERR_APPROVAL_MISMATCH, pending or approved, and leaves it to its owner", async () => {
  const id = await askApproval(t, agent)
  expect(await exchangeWith(t, thief, { scope: 'read write', approval_id: id })).toMatchObject({ status: 400, body: { error: 'invalid_grant', code: 'ERR_APPROVAL_MISMATCH' } })
  expect((await t.admin('POST', `/v1/approvals/${id}/approve`, { approver: 'alice@acme.dev' })).status).toBe(200)
  expect(await exchangeWith(t, thief, { scope: 'read write', approval_id: id })).toMatchObject({ status: 400, body: { error: 'invalid_grant', code: 'ERR_APPROVAL_MISMATCH' } })
  expect(await exchangeWith(t, thief, { scope: 'read write', approval_id: 'no-such-approval' })).toMatchObject({ status: 400, body: { error: 'invalid_grant', code: 'ERR_APPROVAL_NOT_FOUND' } })
  expect(world.mem.upstream.liveCount()).toBe(0)
  expect((await t.admin('GET', `/v1/agents/${thief.handle}/grants`)).body.grants).toEqual([])
  expect((await t.admin('GET', `/v1/approvals/${id}`)).body.status).toBe('approved')
  expect((await exchangeWith(t, agent, { scope: 'read write', approval_id: id })).status).toBe(200)
})
