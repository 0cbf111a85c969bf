import { afterAll, beforeAll, expect, it } from 'vitest'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { delegate, exchangeWithActor, subjectAndActor } from '../support/delegations.js'
import { memorySystem } from '../support/memory.js'

const mem = memorySystem('mem')
let t: TestBroker
beforeAll(async () => {
  t = await startTestBroker({ config: { systems: [mem.system] } })
})
afterAll(() => t.close())

it('refuses an actor token whose agent was revoked after the token was issued, though may_act and the rule still name it; nothing is minted', async () => {
  const { subject, actor } = await subjectAndActor(t)
  await delegate(t, subject.handle, actor.handle)
  const actorToken = await actor.token()
  const subjectToken = await subject.token()
  expect((await exchangeWithActor(t, subjectToken, actorToken)).status).toBe(200)
  const live = mem.upstream.liveCount()
  expect((await t.admin('POST', `/v1/agents/${actor.handle}/revoke`, { reason: 'compromised' })).status).toBe(202)
  const refused = await exchangeWithActor(t, subjectToken, actorToken)
  expect(refused.status).toBe(400)
  expect(['ERR_DELEGATION_DENIED', 'ERR_TOKEN_INVALID']).toContain(refused.body.code)
  expect(refused.body.error).toMatch(/^invalid_(grant|request)$/)
  expect(mem.upstream.liveCount()).toBe(live)
  const grants = (await t.admin('GET', `/v1/agents/${subject.handle}/grants`)).body.grants
  expect(grants).toHaveLength(1)
})
