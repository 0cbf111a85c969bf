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

it('mints once for an approval spent by eight concurrent exchanges, and refuses every other use with ERR_APPROVAL_SPENT', async () => {
  const id = await askApproval(t, agent)
  expect((await t.admin('POST', `/v1/approvals/${id}/approve`, { approver: 'alice@acme.dev' })).status).toBe(200)
  const results = await Promise.all(Array.from({ length: 8 }, () => exchangeWith(t, agent, { scope: 'read write', approval_id: id })))
  expect(results.filter((r) => r.status === 200)).toHaveLength(1)
  for (const r of results.filter((r) => r.status !== 200)) expect(r).toMatchObject({ status: 400, body: { error: 'invalid_grant', code: 'ERR_APPROVAL_SPENT' } })
  expect(await exchangeWith(t, agent, { scope: 'read write', approval_id: id })).toMatchObject({ status: 400, body: { code: 'ERR_APPROVAL_SPENT' } })
  expect(world.mem.upstream.liveCount()).toBe(1)
  expect((await t.admin('GET', `/v1/agents/${agent.handle}/grants`)).body.grants).toHaveLength(1)
})
