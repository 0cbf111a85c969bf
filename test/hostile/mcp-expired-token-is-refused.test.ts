import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestAgent } from '../support/agent.js'
import type { TestBroker } from '../support/broker.js'
import { initialize, mcpToken, startTicketsDeployment, type TicketsServer } from '../support/mcp.js'

let t: TestBroker
let tickets: TicketsServer
/** The resource server's clock, moved by hand: the token expires without the test sleeping. */
let offsetMs = 0
beforeAll(async () => {
  ;({ t, tickets } = await startTicketsDeployment({ tokenTtlSeconds: 60, guard: { clock: { now: () => new Date(Date.now() + offsetMs) }, clockToleranceSeconds: 5 } }))
})
afterAll(async () => {
  await tickets.close()
  await t.close()
})

it('a broker-signed token past its exp and the 5 s leeway is refused: 401 invalid_token, expired', async () => {
  const agent = await createTestAgent(t, { bindings: [{ system: 'tickets-mcp', target: {}, ceiling: ['tickets:read'] }] })
  const token = await mcpToken(t, await agent.token(), tickets.resource)
  expect((await initialize(tickets.resource, token)).status).toBe(200)

  // Well inside its 60 s (real time passes too, and iat is in whole seconds): still accepted.
  offsetMs = 50_000
  expect((await initialize(tickets.resource, token)).status).toBe(200)
  offsetMs = 70_000
  const refused = await initialize(tickets.resource, token)
  expect(refused.status).toBe(401)
  expect(refused.challenge).toMatch(/error="invalid_token"/)
  expect(refused.body).toEqual({ error: 'invalid_token', error_description: 'the token is expired' })
})
