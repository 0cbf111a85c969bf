import { afterAll, beforeAll, expect, it } from 'vitest'
import { checkpointRoot } from '@lanyard/core'
import { startTestBroker, type TestBroker } from '../support/broker.js'

/**
 * #18: the broker-wide admin chain is in the signed audit checkpoints beside every agent's
 * chain (as `@admins`), so a tail cut off it is caught against a checkpoint kept elsewhere.
 */
let t: TestBroker
beforeAll(async () => {
  t = await startTestBroker()
})
afterAll(() => t?.close())

it("a checkpoint records the admin chain's head, and moves with it", async () => {
  expect((await t.admin('POST', '/v1/admins', { subject: 'ana@acme.test', roles: ['auditor'] })).status).toBe(201)
  await t.broker.lanyard.publishCheckpoint()
  const head = async () => {
    const chain = (await t.admin('GET', '/v1/audit/admin?verify=1')).body as { events: Array<{ seq: number; hash: string }>; verification: { ok: boolean } }
    expect(chain.verification.ok).toBe(true)
    return chain.events.at(-1)!
  }
  const latest = async () => (await t.admin('GET', '/v1/audit/checkpoints')).body.checkpoints[0] as { root: string; heads: Array<{ handle: string; seq: number; hash: string }> }
  const first = await latest()
  const before = await head()
  expect(first.heads).toContainEqual({ handle: '@admins', seq: before.seq, hash: before.hash })
  expect(checkpointRoot(first.heads)).toBe(first.root)

  expect((await t.admin('DELETE', '/v1/admins/ana@acme.test')).status).toBeLessThan(300)
  await t.broker.lanyard.publishCheckpoint()
  const after = await head()
  expect(after.seq).toBeGreaterThan(before.seq)
  expect((await latest()).heads).toContainEqual({ handle: '@admins', seq: after.seq, hash: after.hash })
})
