import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair } from 'jose'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestAgent } from '../support/agent.js'
import type { TestBroker } from '../support/broker.js'
import { initialize, mcpToken, startTicketsDeployment, type TicketsServer } from '../support/mcp.js'

let t: TestBroker
let tickets: TicketsServer
beforeAll(async () => {
  ;({ t, tickets } = await startTicketsDeployment())
})
afterAll(async () => {
  await tickets.close()
  await t.close()
})

it('a token with the broker\'s claims and kid but signed by another key is refused: 401 invalid_token', async () => {
  const agent = await createTestAgent(t, { bindings: [{ system: 'tickets-mcp', target: {}, ceiling: ['tickets:read', 'tickets:write'] }] })
  const genuine = await mcpToken(t, await agent.token(), tickets.resource, 'tickets:read')
  expect((await initialize(tickets.resource, genuine)).status).toBe(200)

  // Every claim and header member copied from a genuine token, the scope widened, re-signed.
  const { privateKey } = await generateKeyPair('ES256')
  const forged = await new SignJWT({ ...decodeJwt(genuine), scope: 'tickets:read tickets:write' }).setProtectedHeader(decodeProtectedHeader(genuine) as { alg: string }).sign(privateKey)
  const refused = await initialize(tickets.resource, forged)
  expect(refused.status).toBe(401)
  expect(refused.challenge).toMatch(/error="invalid_token"/)
  expect(refused.body).toEqual({ error: 'invalid_token', error_description: 'the token is not signed by the authorization server' })
  // And the broker does not take it for one of its own either.
  expect((await t.form('/oauth/introspect', { token: forged }, { authorization: `Bearer ${t.adminToken}` })).body).toEqual({ active: false })
})
