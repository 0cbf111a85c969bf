import { afterAll, beforeAll, expect, it } from 'vitest'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { childHandle, delegatingParent, spawn } from '../support/children.js'
import { memorySystem } from '../support/memory.js'

const mem = memorySystem('mem')
let t: TestBroker
beforeAll(async () => {
  t = await startTestBroker({ config: { systems: [mem.system] } })
})
afterAll(() => t.close())

it('refuses a child whose ceiling is wider than the parent\'s binding, or names a system the parent holds no binding to; nothing is created or minted', async () => {
  const { agent, token } = await delegatingParent(t, ['read'])
  const wider = await spawn(t, agent.handle, { name: 'greedy', ceilings: { mem: ['write'] } }, token)
  expect(wider).toMatchObject({ status: 403, body: { code: 'ERR_DELEGATION_DENIED' } })
  const elsewhere = await spawn(t, agent.handle, { name: 'greedy', ceilings: { mem: ['read'], other: ['read'] } }, token)
  expect(elsewhere.status).toBeGreaterThanOrEqual(400)
  // The admin cannot widen a child either: the rule is the parent's ceiling, not who asks.
  expect(await spawn(t, agent.handle, { name: 'greedy', ceilings: { mem: ['read', 'write'] } }, t.adminToken)).toMatchObject({ status: 403, body: { code: 'ERR_DELEGATION_DENIED' } })
  expect((await t.admin('GET', `/v1/agents/${childHandle(agent.handle, 'greedy')}`)).status).toBe(404)
  expect((await t.admin('GET', `/v1/agents/${agent.handle}/children`)).body.children).toEqual([])
  expect(mem.upstream.liveCount()).toBe(0)
})
