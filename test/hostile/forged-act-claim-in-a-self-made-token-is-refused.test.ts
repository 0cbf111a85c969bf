import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { jwtBearer, jwtType, tokenExchange } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { delegate, exchangeWithActor, subjectAndActor } from '../support/delegations.js'
import { memorySystem } from '../support/memory.js'

const mem = memorySystem('mem')
let t: TestBroker
beforeAll(async () => {
  t = await startTestBroker({ config: { systems: [mem.system] } })
})
afterAll(() => t.close())

it('refuses act or may_act an agent writes itself: in its assertion, or in a handle-token look-alike it signed; nothing is minted', async () => {
  const { subject, actor } = await subjectAndActor(t)
  // (1) An assertion claiming an act chain, or a may_act naming the forger's friend.
  for (const claims of [{ act: { sub: actor.handle } }, { may_act: { sub: actor.handle } }]) {
    const answer = await t.form('/oauth/token', { grant_type: jwtBearer, assertion: await subject.assertion(claims) })
    expect(answer.status).toBe(400)
    expect(answer.body.error).toBe('invalid_grant')
  }
  // (2) A self-made "handle token" with may_act naming the actor, signed by the agent's own key.
  const now = Math.floor(Date.now() / 1000)
  const forged = await new SignJWT({ gen: 1, may_act: { sub: actor.handle }, act: { sub: actor.handle } })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'lanyard-handle+jwt', kid: subject.kid })
    .setIssuer(t.issuer).setSubject(subject.handle).setAudience(t.issuer).setIssuedAt(now).setExpirationTime(now + 300).setJti(randomUUID())
    .sign(subject.privateKey)
  const asSubject = await exchangeWithActor(t, forged, await actor.token())
  expect(asSubject.status).toBeGreaterThanOrEqual(400)
  expect(asSubject.body.code).toBe('ERR_TOKEN_INVALID')
  // ... and as the actor token: a forged actor cannot borrow a real may_act either.
  await delegate(t, subject.handle, actor.handle)
  const forgedActor = await new SignJWT({ gen: 1 }).setProtectedHeader({ alg: 'EdDSA', typ: 'lanyard-handle+jwt', kid: subject.kid })
    .setIssuer(t.issuer).setSubject(actor.handle).setAudience(t.issuer).setIssuedAt(now).setExpirationTime(now + 300).setJti(randomUUID())
    .sign(subject.privateKey)
  const asActor = await exchangeWithActor(t, await subject.token(), forgedActor)
  expect(asActor.status).toBeGreaterThanOrEqual(400)
  expect(asActor.body.code).toBe('ERR_TOKEN_INVALID')
  // Plain exchange with the forged token as subject: refused too.
  expect((await t.form('/oauth/token', { grant_type: tokenExchange, subject_token: forged, subject_token_type: jwtType, resource: 'urn:lanyard:system:mem' })).body.code).toBe('ERR_TOKEN_INVALID')
  expect(mem.upstream.liveCount()).toBe(0)
  expect((await t.admin('GET', `/v1/agents/${subject.handle}/grants`)).body.grants).toEqual([])
})
