import { createHash, randomUUID } from 'node:crypto'
import { createAgentClient } from '@lanyard/client'
import { SignJWT, base64url, exportJWK, generateKeyPair } from 'jose'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestAgent } from '../support/agent.js'
import type { TestBroker } from '../support/broker.js'
import { initialize, presenting, startTicketsDeployment, type TicketsServer } from '../support/mcp.js'

let t: TestBroker
let tickets: TicketsServer
beforeAll(async () => {
  ;({ t, tickets } = await startTicketsDeployment())
})
afterAll(async () => {
  await tickets.close()
  await t.close()
})

/** An honest-looking proof for this request and token, signed by a key the attacker holds. */
async function proofOfOtherKey(url: string, token: string): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  return new SignJWT({ htm: 'POST', htu: url, ath: base64url.encode(createHash('sha256').update(token).digest()) })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(publicKey) })
    .setIssuedAt()
    .setJti(randomUUID())
    .sign(privateKey)
}

const send = async (headers: Record<string, string>) => {
  const response = await fetch(tickets.resource, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'hostile', version: '1.0.0' } } }),
  })
  return { status: response.status, challenge: response.headers.get('www-authenticate'), body: await response.json().catch(() => undefined) }
}

it('a DPoP-bound MCP token stolen without its key is refused: as a plain Bearer, as DPoP without a proof, with a proof of another key or for another token', async () => {
  const agent = await createTestAgent(t, { bindings: [{ system: 'tickets-mcp', target: {}, ceiling: ['tickets:read'] }] })
  const client = createAgentClient({ brokerUrl: t.url, handle: agent.handle, privateKey: agent.privateKey })
  const exchanged = await client.exchange({ resource: tickets.resource })
  expect(exchanged.token_type).toBe('DPoP')
  const token = exchanged.access_token
  // The holder of the key is let in: what follows is refused for the missing key alone.
  expect((await initialize(tickets.resource, token, client)).status).toBe(200)
  const sessions = tickets.openSessions()

  // (1) As a plain Bearer (RFC 9449 7.2): the bound token is no bearer token.
  const asBearer = await send({ authorization: `Bearer ${token}` })
  expect(asBearer.status).toBe(401)
  expect(asBearer.challenge).toMatch(/^DPoP resource_metadata="[^"]+", algs="[^"]+", error="invalid_token"/)
  expect(asBearer.body).toEqual({ error: 'invalid_token', error_description: 'the token is DPoP-bound: present it as Authorization: DPoP with a proof' })

  // (2) The DPoP scheme without any proof.
  const noProof = await send({ authorization: `DPoP ${token}` })
  expect(noProof).toMatchObject({ status: 401, body: { error: 'invalid_dpop_proof', error_description: 'a DPoP proof is required with a DPoP-bound token' } })
  expect(noProof.challenge).toMatch(/^DPoP .*error="invalid_dpop_proof"/)

  // (3) A well-formed proof, for this URL and this token, but of the attacker's key.
  const otherKey = await send({ authorization: `DPoP ${token}`, dpop: await proofOfOtherKey(tickets.resource, token) })
  expect(otherKey).toMatchObject({ status: 401, body: { error: 'invalid_dpop_proof', error_description: 'the DPoP proof is signed by another key than the one the token is bound to' } })

  // (4) A genuine proof of the right key, lifted from a request with another token: its ath differs.
  const other = await client.exchange({ resource: tickets.resource, scope: 'tickets:read' })
  expect(other.access_token).not.toBe(token)
  const lifted = (await presenting(other.access_token, tickets.resource, client)).dpop!
  const wrongToken = await send({ authorization: `DPoP ${token}`, dpop: lifted })
  expect(wrongToken).toMatchObject({ status: 401, body: { error: 'invalid_dpop_proof', error_description: 'the DPoP proof\'s "ath" is not the hash of the presented token' } })

  // (5) A genuine proof of the right key for another URL of the server.
  const elsewhere = (await presenting(token, `${tickets.origin}/mcp/messages`, client)).dpop!
  expect(await send({ authorization: `DPoP ${token}`, dpop: elsewhere })).toMatchObject({ status: 401, body: { error: 'invalid_dpop_proof' } })

  // No refused request opened a session, and the refusals were reported without the token.
  expect(tickets.openSessions()).toBe(sessions)
  expect(JSON.stringify(tickets.events)).not.toContain(token)
})
