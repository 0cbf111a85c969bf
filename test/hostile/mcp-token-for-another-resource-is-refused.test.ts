import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestAgent } from '../support/agent.js'
import type { TestBroker } from '../support/broker.js'
import { initialize, mcpToken, startTicketsDeployment, type TicketsServer } from '../support/mcp.js'

let t: TestBroker
let tickets: TicketsServer
let resourceServerToken: string
beforeAll(async () => {
  ;({ t, tickets, resourceServerToken } = await startTicketsDeployment({
    systems: (origin) => [{ name: 'billing-mcp', type: 'mcp', resource: `${origin}/billing-mcp`, scopes: ['tickets:read'], allowInsecureUpstreamHttp: true }],
  }))
})
afterAll(async () => {
  await tickets.close()
  await t.close()
})

it('a broker-signed token for another MCP resource (aud mismatch) is refused: 401 invalid_token on the aud claim', async () => {
  const agent = await createTestAgent(t, { bindings: [{ system: 'tickets-mcp', target: {}, ceiling: ['tickets:read'] }, { system: 'billing-mcp', target: {}, ceiling: ['tickets:read'] }] })
  const own = await mcpToken(t, await agent.token(), tickets.resource)
  expect((await initialize(tickets.resource, own)).status).toBe(200)

  const other = await mcpToken(t, await agent.token(), `${tickets.origin}/billing-mcp`)
  const refused = await initialize(tickets.resource, other)
  expect(refused.status).toBe(401)
  expect(refused.challenge).toMatch(/error="invalid_token"/)
  expect(refused.body).toEqual({ error: 'invalid_token', error_description: 'the token\'s aud claim is not accepted here' })
  expect(tickets.events).toContainEqual({ type: 'refused', status: 401, error: 'invalid_token', description: 'the token\'s aud claim is not accepted here' })
  // Nor does the broker vouch for it to this server, though it is live for its own.
  expect((await t.form('/oauth/introspect', { token: other }, { authorization: `Bearer ${resourceServerToken}` })).body).toEqual({ active: false })
  expect((await t.form('/oauth/introspect', { token: other }, { authorization: `Bearer ${t.adminToken}` })).body).toMatchObject({ active: true })
})
