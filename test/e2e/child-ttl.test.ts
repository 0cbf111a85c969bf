import { afterAll, beforeAll, expect, it } from 'vitest'
import { createAgentClient } from '@lanyard/client'
import { createTestAgent, uniqueHandle } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { eventually, memorySystem } from '../support/memory.js'

// #17 Lifetime: a child past its TTL is revoked like any agent (a job, hence a receipt); a child
// within its TTL is left alone. The broker's clock is moved on instead of waiting.
const mem = memorySystem('mem')
let offsetMs = 0
let t: TestBroker
beforeAll(async () => {
  t = await startTestBroker({ config: { systems: [mem.system] }, clock: { now: () => new Date(Date.now() + offsetMs) } })
})
afterAll(() => t.close())

it('revokes a lapsed child with a revocation job that cuts its grant upstream; a longer-lived sibling and the parent stay active', async () => {
  const parent = await createTestAgent(t, { handle: uniqueHandle('p'), bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling: ['read'], delegable: true } as never] })
  const token = await parent.token()
  const short = await t.admin('POST', `/v1/agents/${parent.handle}/children`, { name: 'short', ceilings: { mem: ['read'] }, ttlSeconds: 60 }, token)
  const long = await t.admin('POST', `/v1/agents/${parent.handle}/children`, { name: 'long', ceilings: { mem: ['read'] }, ttlSeconds: 3600 }, token)
  const sdk = createAgentClient({ brokerUrl: t.url, handle: short.body.handle, privateKey: { ...short.body.private_jwk, alg: 'EdDSA' }, dpop: false })
  const credential = await sdk.exchange({ system: 'mem', scope: 'read' })

  expect(await t.broker.lanyard.sweepChildren()).toEqual([])
  offsetMs = 61_000
  expect(await t.broker.lanyard.sweepChildren()).toEqual([short.body.handle])
  const child = (await t.admin('GET', `/v1/agents/${short.body.handle}`)).body
  expect(child).toMatchObject({ status: 'revoked' })
  expect(child.status_reason).toMatch(/TTL lapsed/)
  const audit = (await t.admin('GET', `/v1/agents/${short.body.handle}/audit`)).body.events as Array<{ action: string; actor: string; details: Record<string, unknown> }>
  expect(audit.find((e) => e.action === 'agent.revoked')?.actor).toBe('broker:ttl')
  const grants = (await t.admin('GET', `/v1/agents/${short.body.handle}/grants`)).body.grants as Array<{ id: string }>
  expect(grants.map((g) => g.id)).toEqual([credential.grant_id])
  await eventually(() => !mem.upstream.allows(credential.access_token, []))
  expect((await t.admin('GET', `/v1/agents/${long.body.handle}`)).body.status).toBe('active')
  expect((await t.admin('GET', `/v1/agents/${parent.handle}`)).body.status).toBe('active')
  // Idempotent: the next pass finds nothing more to do.
  expect(await t.broker.lanyard.sweepChildren()).toEqual([])
})
