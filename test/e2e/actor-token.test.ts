import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent, jwtType, tokenExchange, uniqueHandle, type TestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { memorySystem } from '../support/memory.js'

/** #17: RFC 8693 actor_token, allowed only with may_act and a live delegation rule; the act chain everywhere. */
describe('actor_token: one agent acting for another', () => {
  const mem = memorySystem('mem')
  let t: TestBroker
  beforeAll(async () => {
    t = await startTestBroker({ config: { systems: [mem.system] } })
  })
  afterAll(() => t.close())

  const exchangeAs = async (subject: TestAgent, actorToken: string | undefined, scope?: string) =>
    t.form('/oauth/token', {
      grant_type: tokenExchange, subject_token: await subject.token(), subject_token_type: jwtType, resource: 'urn:lanyard:system:mem',
      ...(scope === undefined ? {} : { scope }), ...(actorToken === undefined ? {} : { actor_token: actorToken, actor_token_type: jwtType }),
    })
  const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString()

  it('without may_act the actor is refused and nothing is minted; with a rule the grant carries act, in the token response, both chains and whois', async () => {
    const subject = await createTestAgent(t, { handle: uniqueHandle('subject'), bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling: ['write'] }] })
    const actor = await createTestAgent(t, { handle: uniqueHandle('actor') })
    const before = mem.upstream.liveCount()

    // No rule: the subject token names nobody in may_act.
    expect(decodeJwt(await subject.token()).may_act).toBeUndefined()
    const refused = await exchangeAs(subject, await actor.token())
    expect(refused).toMatchObject({ status: 400, body: { error: 'invalid_grant', code: 'ERR_DELEGATION_DENIED' } })
    expect(mem.upstream.liveCount()).toBe(before)

    const set = await t.admin('POST', `/v1/agents/${subject.handle}/delegations`, { actor: actor.handle, systems: ['mem'], scopes: ['read'], expiresAt: inAnHour() })
    expect(set.status).toBe(201)
    expect(decodeJwt(await subject.token()).may_act).toEqual({ sub: actor.handle })

    // Scopes: the subject's ceiling (write) intersected with the rule (read): write is refused.
    expect((await exchangeAs(subject, await actor.token(), 'write')).status).toBe(400)
    const granted = await exchangeAs(subject, await actor.token())
    expect(granted.status).toBe(200)
    expect(granted.body.scope).toBe('read')
    expect(granted.body.act).toEqual({ sub: actor.handle })
    expect(mem.upstream.allows(granted.body.access_token, ['read'])).toBe(true)

    const subjectAudit = (await t.admin('GET', `/v1/agents/${subject.handle}/audit`)).body.events as Array<{ action: string; target: string; details: Record<string, unknown> }>
    expect(subjectAudit.find((e) => e.action === 'grant.issued' && e.target === granted.body.grant_id)?.details.act).toEqual({ sub: actor.handle })
    const actorAudit = (await t.admin('GET', `/v1/agents/${actor.handle}/audit`)).body.events as Array<{ action: string; target: string; details: Record<string, unknown> }>
    expect(actorAudit.find((e) => e.action === 'delegation.acted')).toMatchObject({ target: granted.body.grant_id, details: { subject: subject.handle, act: { sub: actor.handle } } })

    const whois = await t.admin('GET', `/v1/whois?grant_id=${granted.body.grant_id}`)
    expect(whois.body.matches).toEqual([expect.objectContaining({ handle: subject.handle, act: { sub: actor.handle } })])
    const byActor = await t.admin('GET', `/v1/whois?act_sub=${encodeURIComponent(actor.handle)}`)
    expect(byActor.body.matches.map((m: { grant_id: string }) => m.grant_id)).toEqual([granted.body.grant_id])
  })

  it("a child's handle token carries its lineage as nested act, and acting for a child nests the actor outermost", async () => {
    const root = await createTestAgent(t, { handle: uniqueHandle('root'), bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling: ['read'], delegable: true } as never] })
    const child = await t.admin('POST', `/v1/agents/${root.handle}/children`, { name: 'c', ceilings: { mem: ['read'] } }, await root.token())
    const grand = await t.admin('POST', `/v1/agents/${child.body.handle}/children`, { name: 'g', ceilings: { mem: ['read'] } })
    expect(grand.status).toBe(201)
    const { createAgentClient } = await import('@lanyard/client')
    const grandToken = await createAgentClient({ brokerUrl: t.url, handle: grand.body.handle, privateKey: { ...grand.body.private_jwk, alg: 'EdDSA' }, dpop: false }).token()
    expect(decodeJwt(grandToken).act).toEqual({ sub: child.body.handle, act: { sub: root.handle } })

    const helper = await createTestAgent(t, { handle: uniqueHandle('helper') })
    await t.admin('POST', `/v1/agents/${grand.body.handle}/delegations`, { actor: helper.handle, systems: ['mem'], scopes: ['read'], expiresAt: inAnHour() })
    const subjectToken = await createAgentClient({ brokerUrl: t.url, handle: grand.body.handle, privateKey: { ...grand.body.private_jwk, alg: 'EdDSA' }, dpop: false }).token()
    const granted = await t.form('/oauth/token', { grant_type: tokenExchange, subject_token: subjectToken, subject_token_type: jwtType, resource: 'urn:lanyard:system:mem', actor_token: await helper.token(), actor_token_type: jwtType })
    expect(granted.status).toBe(200)
    expect(granted.body.act).toEqual({ sub: helper.handle, act: { sub: child.body.handle, act: { sub: root.handle } } })
  })
})
