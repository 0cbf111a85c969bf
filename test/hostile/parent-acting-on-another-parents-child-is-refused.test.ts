import { afterAll, beforeAll, expect, it } from 'vitest'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { delegatingParent, spawn } from '../support/children.js'
import { memorySystem } from '../support/memory.js'

const mem = memorySystem('mem')
let t: TestBroker
beforeAll(async () => {
  t = await startTestBroker({ config: { systems: [mem.system] } })
})
afterAll(() => t.close())

it("refuses a parent's handle token on another parent's child and on another parent's children route; the child stays active", async () => {
  const alice = await delegatingParent(t, ['read'], 'alice')
  const mallory = await delegatingParent(t, ['read'], 'mallory')
  const child = await spawn(t, alice.agent.handle, { name: 'w', ceilings: { mem: ['read'] } }, alice.token)
  expect(child.status).toBe(201)
  const victim = child.body.handle as string

  // Mallory's token under Alice's path: the token names Mallory, the path Alice.
  for (const action of ['suspend', 'revoke']) {
    expect(await t.admin('POST', `/v1/agents/${alice.agent.handle}/children/${victim}/${action}`, { reason: 'x' }, mallory.token)).toMatchObject({ status: 403, body: { code: 'ERR_DELEGATION_DENIED' } })
    // Mallory's own path naming Alice's child: not Mallory's child.
    expect(await t.admin('POST', `/v1/agents/${mallory.agent.handle}/children/${victim}/${action}`, { reason: 'x' }, mallory.token)).toMatchObject({ status: 403, body: { code: 'ERR_DELEGATION_DENIED' } })
  }
  expect(await spawn(t, alice.agent.handle, { name: 'evil', ceilings: { mem: ['read'] } }, mallory.token)).toMatchObject({ status: 403, body: { code: 'ERR_DELEGATION_DENIED' } })
  // A parent cannot reach itself or its own parent through the children route either.
  expect((await t.admin('POST', `/v1/agents/${alice.agent.handle}/children/${alice.agent.handle}/revoke`, { reason: 'x' }, alice.token)).status).toBe(403)
  // Nor the admin API.
  expect((await t.admin('POST', `/v1/agents/${victim}/revoke`, { reason: 'x' }, mallory.token)).status).toBe(401)
  expect((await t.admin('GET', `/v1/agents/${victim}`)).body.status).toBe('active')
  expect((await t.admin('GET', `/v1/agents/${alice.agent.handle}/children`)).body.children.map((c: { handle: string }) => c.handle)).toEqual([victim])
  expect(mem.upstream.liveCount()).toBe(0)
})
