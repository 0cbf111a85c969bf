import { expect } from 'vitest'
import { createTestAgent, jwtType, tokenExchange } from '../support/agent.js'
import type { TestBroker } from '../support/broker.js'
import { eventually, type memorySystem } from '../support/memory.js'

/** How many live grants the agent holds when it is revoked. */
export const liveGrants = 4

/**
 * The shared case of the two Redis revocation faults: an agent with `liveGrants` live grants
 * is revoked (202), `lose` takes the Redis that answered away and brings one back (the same
 * one from its append-only file, or a promoted replica), and then the revocation, its tasks
 * and the agent's status are all there, and the cascade finishes with every credential
 * revoked upstream.
 */
export async function revokeThenLoseRedis(t: TestBroker, mem: ReturnType<typeof memorySystem>, lose: () => Promise<void>): Promise<void> {
  const agent = await createTestAgent(t, { bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling: ['read'] }] })
  const token = await agent.token()
  for (let i = 0; i < liveGrants; i++) {
    const exchanged = await t.form('/oauth/token', { grant_type: tokenExchange, subject_token: token, subject_token_type: jwtType, resource: 'urn:lanyard:system:mem', scope: 'read' })
    expect(exchanged.status).toBe(200)
  }
  expect(mem.upstream.liveCount()).toBe(liveGrants)

  const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'fault test' })
  expect(revoked.status).toBe(202)
  const id = revoked.body.revocation.id as string
  await lose()

  // What the 202 promised is there: the job with one task per live grant, the agent revoked.
  await eventually(async () => (await fetch(`${t.url}/readyz`)).status === 200, 15_000)
  const job = await t.admin('GET', `/v1/revocations/${id}`)
  expect(job.status).toBe(200)
  expect(job.body.tasks).toHaveLength(liveGrants)
  const shown = await t.admin('GET', `/v1/agents/${agent.handle}`)
  expect([shown.status, shown.body.status]).toEqual([200, 'revoked'])
  const refused = await t.form('/oauth/token', { grant_type: tokenExchange, subject_token: token, subject_token_type: jwtType, resource: 'urn:lanyard:system:mem', scope: 'read' })
  expect(refused.status).toBe(400)

  // The cascade finishes on the Redis that came back.
  await eventually(async () => (await t.admin('GET', `/v1/revocations/${id}`)).body.status === 'done', 20_000)
  const done = await t.admin('GET', `/v1/revocations/${id}`)
  expect(done.body.tasks.filter((task: { outcome?: { kind: string } }) => task.outcome?.kind !== 'revoked')).toEqual([])
  expect(mem.upstream.liveCount()).toBe(0)
  const audit = (await t.admin('GET', `/v1/agents/${agent.handle}/audit?verify=1&limit=1000`)).body
  expect(audit.verification.ok).toBe(true)
}
