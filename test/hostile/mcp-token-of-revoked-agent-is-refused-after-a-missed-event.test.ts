import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestAgent } from '../support/agent.js'
import type { TestBroker } from '../support/broker.js'
import { eventually } from '../support/memory.js'
import { initialize, mcpToken, startTicketsDeployment, type TicketsServer } from '../support/mcp.js'

/** Cuts the resource server's event stream and keeps it cut while `down`: it misses every event meanwhile. */
const link = { down: false, streams: new Set<AbortController>() }
const gatedFetch: typeof fetch = async (input, init) => {
  const url = input instanceof Request ? input.url : String(input)
  if (!url.endsWith('/v1/events')) return fetch(input, init)
  if (link.down) return new Response('partitioned', { status: 503 })
  const controller = new AbortController()
  link.streams.add(controller)
  return fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal })
}

let t: TestBroker
let tickets: TicketsServer
beforeAll(async () => {
  ;({ t, tickets } = await startTicketsDeployment({ guard: { fetch: gatedFetch } }))
})
afterAll(async () => {
  await tickets.close()
  await t.close()
})

it('a revoked agent\'s token, at a resource server that missed the revocation event, is refused by the introspection fallback, during and after the gap', async () => {
  const agent = await createTestAgent(t, { bindings: [{ system: 'tickets-mcp', target: {}, ceiling: ['tickets:read'] }] })
  const token = await mcpToken(t, await agent.token(), tickets.resource)
  expect((await initialize(tickets.resource, token)).status).toBe(200)

  link.down = true
  for (const stream of link.streams) stream.abort()
  await eventually(() => !tickets.guard().streamHealthy(), 2_000)
  // While the stream is down the broker is asked every time: still active, so accepted.
  expect((await initialize(tickets.resource, token)).status).toBe(200)

  const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'hostile: missed event' })
  expect(revoked.status).toBe(202)
  expect(tickets.events.filter((e) => e.type === 'revoked')).toEqual([])
  const during = await initialize(tickets.resource, token)
  expect(during.status).toBe(401)
  expect(during.body).toEqual({ error: 'invalid_token', error_description: 'the token is revoked' })

  // The cascade finishes meanwhile: every event of this revocation is published, and missed.
  await eventually(async () => (await t.admin('GET', `/v1/revocations/${revoked.body.revocation.id}`)).body.status === 'done')
  // Back up: the events are gone for good, yet the token predates the new stream, so it is
  // introspected once more and refused.
  link.down = false
  await tickets.guard().ready()
  const after = await initialize(tickets.resource, token)
  expect(after.status).toBe(401)
  expect(after.body).toEqual({ error: 'invalid_token', error_description: 'the token is revoked' })
  expect(tickets.events.filter((e) => e.type === 'revoked')).toEqual([])
})
