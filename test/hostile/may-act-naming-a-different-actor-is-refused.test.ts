import { afterAll, beforeAll, expect, it } from 'vitest'
import { decodeJwt } from 'jose'
import { createTestAgent, uniqueHandle } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { delegate, exchangeWithActor, subjectAndActor } from '../support/delegations.js'
import { memorySystem } from '../support/memory.js'

const mem = memorySystem('mem')
let t: TestBroker
beforeAll(async () => {
  t = await startTestBroker({ config: { systems: [mem.system] } })
})
afterAll(() => t.close())

it("refuses an actor the subject token's may_act does not name, even with a valid handle token of its own; nothing is minted", async () => {
  const { subject, actor } = await subjectAndActor(t)
  const intruder = await createTestAgent(t, { handle: uniqueHandle('intruder') })
  await delegate(t, subject.handle, actor.handle)
  const subjectToken = await subject.token()
  expect(decodeJwt(subjectToken).may_act).toEqual({ sub: actor.handle })
  const refused = await exchangeWithActor(t, subjectToken, await intruder.token())
  expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_grant', code: 'ERR_DELEGATION_DENIED' } })
  // A rule set for the intruder later does not widen a token minted before it: may_act is read at mint.
  await delegate(t, subject.handle, intruder.handle)
  expect(await exchangeWithActor(t, subjectToken, await intruder.token())).toMatchObject({ status: 400, body: { code: 'ERR_DELEGATION_DENIED' } })
  // The subject acting as its own actor is not a delegation either.
  expect((await exchangeWithActor(t, subjectToken, await subject.token())).status).toBe(400)
  expect(mem.upstream.liveCount()).toBe(0)
  expect((await t.admin('GET', `/v1/agents/${subject.handle}/grants`)).body.grants).toEqual([])
})
