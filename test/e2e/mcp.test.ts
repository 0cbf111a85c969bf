import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { createAgentClient, mcpFetch, type AgentClient } from '@lanyard/client'
import { createHash, randomUUID } from 'node:crypto'
import { SignJWT, base64url, calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent, type TestAgent } from '../support/agent.js'
import type { TestBroker } from '../support/broker.js'
import { eventually } from '../support/memory.js'
import { initialize, mcpToken, presenting, startTicketsDeployment, type TicketsServer } from '../support/mcp.js'

let t: TestBroker
let tickets: TicketsServer
let resourceServerToken: string

beforeAll(async () => {
  ;({ t, tickets, resourceServerToken } = await startTicketsDeployment())
})
afterAll(async () => {
  await tickets.close()
  await t.close()
})

async function agentWith(ceiling: string[]): Promise<{ agent: TestAgent; client: AgentClient }> {
  const agent = await createTestAgent(t, { bindings: [{ system: 'tickets-mcp', target: {}, ceiling }] })
  return { agent, client: createAgentClient({ brokerUrl: t.url, handle: agent.handle, privateKey: agent.privateKey }) }
}

async function connect(client: AgentClient, scope?: string) {
  const mcp = new Client({ name: 'agent', version: '1.0.0' })
  // No reconnection of a dropped stream: a revoked agent has nothing to reconnect to.
  const transport = new StreamableHTTPClientTransport(new URL(tickets.resource), { fetch: mcpFetch(client, scope === undefined ? {} : { scope }), reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 } })
  await mcp.connect(transport)
  return { mcp, transport }
}

/** One raw JSON-RPC tools/call with a given token (and a proof of `holder`'s DPoP key), as a client still holding it would send. */
async function call(token: string, sessionId: string | undefined, holder?: AgentClient, tool = 'tickets.list'): Promise<number> {
  const response = await fetch(tickets.resource, {
    method: 'POST',
    headers: { ...(await presenting(token, tickets.resource, holder)), 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(sessionId === undefined ? {} : { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' }) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: tool, arguments: {} } }),
  })
  await response.body?.cancel()
  return response.status
}

describe('the broker as the authorization server of MCP servers', () => {
  it('announces what MCP clients and resource servers need (RFC 8414, OpenID discovery, RFC 9728)', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const metadata = (await fetch(`${t.url}${path}`).then((r) => r.json())) as Record<string, unknown>
      expect(metadata).toMatchObject({
        issuer: t.issuer,
        resource_indicators_supported: true,
        token_endpoint_auth_methods_supported: ['none'],
        introspection_endpoint: `${t.issuer}/oauth/introspect`,
        lanyard_revocation_events_endpoint: `${t.issuer}/v1/events`,
      })
      expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['urn:ietf:params:oauth:grant-type:jwt-bearer', 'urn:ietf:params:oauth:grant-type:token-exchange']))
      // RFC 9449 5.1: what a DPoP proof may be signed with (an exchange with one binds the MCP token).
      expect(metadata.dpop_signing_alg_values_supported).toEqual(expect.arrayContaining(['ES256', 'EdDSA']))
    }
    const prm = await fetch(`${tickets.origin}/.well-known/oauth-protected-resource/mcp`).then((r) => r.json())
    expect(prm).toEqual({ resource: tickets.resource, authorization_servers: [t.issuer], scopes_supported: ['tickets:read', 'tickets:write'], bearer_methods_supported: ['header'], dpop_signing_alg_values_supported: ['EdDSA', 'ES256', 'ES384', 'PS256', 'RS256'] })
    const refused = await fetch(tickets.resource, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(refused.status).toBe(401)
    expect(refused.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${tickets.origin}/.well-known/oauth-protected-resource/mcp"`)
  })

  it('exchanges by the server URL or by the system URN: an RFC 9068 token, recorded as a grant, whois by jti', async () => {
    const { agent } = await agentWith(['tickets:read', 'tickets:write'])
    for (const resource of [tickets.resource, 'urn:lanyard:system:tickets-mcp']) {
      const exchanged = await t.form('/oauth/token', { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: await agent.token(), subject_token_type: 'urn:ietf:params:oauth:token-type:jwt', resource, scope: 'tickets:read' })
      expect(exchanged.status).toBe(200)
      expect(exchanged.body).toMatchObject({ token_type: 'Bearer', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', scope: 'tickets:read' })
      const token = exchanged.body.access_token as string
      expect(decodeProtectedHeader(token)).toMatchObject({ typ: 'at+jwt', alg: 'ES256' })
      const claims = decodeJwt(token)
      expect(claims).toMatchObject({ iss: t.issuer, aud: tickets.resource, sub: agent.handle, scope: 'tickets:read', client_id: agent.handle, jti: exchanged.body.grant_id })
      expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(300)
      const whois = await t.admin('GET', `/v1/whois?mcp_jti=${claims.jti}`)
      expect(whois.status).toBe(200)
      expect(JSON.stringify(whois.body)).toContain(agent.handle)
      const introspected = await t.form('/oauth/introspect', { token }, { authorization: `Bearer ${t.adminToken}` })
      expect(introspected.body).toMatchObject({ active: true, sub: agent.handle, aud: tickets.resource, scope: 'tickets:read', jti: claims.jti })
    }
    const unknown = await t.form('/oauth/token', { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: await agent.token(), subject_token_type: 'urn:ietf:params:oauth:token-type:jwt', resource: `${tickets.origin}/other-mcp` })
    expect(unknown).toMatchObject({ status: 400, body: { error: 'invalid_target' } })
  })

  it('an agent with the SDK client and the Lanyard provider lists tools and calls tickets.list', async () => {
    const { client } = await agentWith(['tickets:read', 'tickets:write'])
    const { mcp } = await connect(client)
    const { tools } = await mcp.listTools()
    expect(tools.map((tool) => tool.name).sort()).toEqual(['tickets.close', 'tickets.list'])
    const listed = await mcp.callTool({ name: 'tickets.list', arguments: {} })
    expect(JSON.stringify(listed.content)).toContain('printer on fire')
    await mcp.close()
  })

  it('tickets.close with a tickets:read-only token is 403 insufficient_scope naming tickets:write', async () => {
    const { client } = await agentWith(['tickets:read', 'tickets:write'])
    const { mcp, transport } = await connect(client, 'tickets:read')
    await expect(mcp.callTool({ name: 'tickets.close', arguments: { id: 'T-1' } })).rejects.toMatchObject({ code: 403, message: expect.stringContaining('insufficient_scope') })
    const token = (await client.exchange({ resource: tickets.resource, scope: 'tickets:read' })).access_token
    const response = await fetch(tickets.resource, {
      method: 'POST',
      headers: { ...(await presenting(token, tickets.resource, client)), 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': transport.sessionId ?? '' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'tickets.close', arguments: { id: 'T-1' } } }),
    })
    expect(response.status).toBe(403)
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata="[^"]+", error="insufficient_scope", scope="tickets:read tickets:write"/)
    expect(await response.json()).toMatchObject({ error: 'insufficient_scope' })
    // The ticket is still open: the refused call never reached the tool.
    expect(JSON.stringify((await mcp.callTool({ name: 'tickets.list', arguments: {} })).content)).toContain('T-1')
    await mcp.close()
  })

  it('revoking one grant cuts its token at the server; the agent\'s other token keeps working', async () => {
    const { agent } = await agentWith(['tickets:read', 'tickets:write'])
    const cut = await mcpToken(t, await agent.token(), tickets.resource, 'tickets:read')
    const kept = await mcpToken(t, await agent.token(), tickets.resource, 'tickets:read')
    expect((await initialize(tickets.resource, cut)).status).toBe(200)
    const started = performance.now()
    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/grants/${decodeJwt(cut).jti}/revoke`, { reason: 'mcp: one grant' })
    expect(revoked.status).toBe(202)
    await eventually(async () => (await initialize(tickets.resource, cut)).status === 401, 1_000)
    expect(performance.now() - started).toBeLessThan(1_000)
    expect((await initialize(tickets.resource, kept)).status).toBe(200)
    await eventually(async () => (await t.admin('GET', `/v1/revocations/${revoked.body.revocation.id}`)).body.status === 'done')
    const introspect = (token: string) => t.form('/oauth/introspect', { token }, { authorization: `Bearer ${t.adminToken}` })
    expect((await introspect(cut)).body).toEqual({ active: false })
    expect((await introspect(kept)).body).toMatchObject({ active: true })
  })

  it('the resource server\'s credential holds the event stream and introspects its own tokens, and opens nothing else', async () => {
    const anonymous = await fetch(`${t.url}/v1/events`, { headers: { accept: 'text/event-stream' } })
    expect(anonymous.status).toBe(401)
    await anonymous.body?.cancel()
    const stream = await fetch(`${t.url}/v1/events`, { headers: { accept: 'text/event-stream', authorization: `Bearer ${resourceServerToken}` } })
    expect(stream.status).toBe(200)
    expect(stream.headers.get('content-type')).toBe('text/event-stream')
    await stream.body?.cancel()
    expect((await t.admin('GET', '/v1/agents', undefined, resourceServerToken)).status).toBe(401)

    const { agent } = await agentWith(['tickets:read'])
    const handleToken = await agent.token()
    const own = await mcpToken(t, handleToken, tickets.resource)
    const asServer = (token: string) => t.form('/oauth/introspect', { token }, { authorization: `Bearer ${resourceServerToken}` })
    expect((await asServer(own)).body).toMatchObject({ active: true, aud: tickets.resource })
    // A handle token is no business of a resource server's, though the admin sees it active.
    expect((await asServer(handleToken)).body).toEqual({ active: false })
    expect((await t.form('/oauth/introspect', { token: handleToken }, { authorization: `Bearer ${t.adminToken}` })).body).toMatchObject({ active: true })
  })

  it('suspending an agent (no revocation job, no grant cut) refuses its token at the server at once, through the bus relay', async () => {
    const { agent, client } = await agentWith(['tickets:read'])
    const token = (await client.exchange({ resource: tickets.resource })).access_token
    expect((await initialize(tickets.resource, token, client)).status).toBe(200)
    const started = performance.now()
    expect((await t.admin('POST', `/v1/agents/${agent.handle}/suspend`, { reason: 'mcp: suspend' })).status).toBe(200)
    await eventually(async () => (await initialize(tickets.resource, token, client)).status === 401, 1_000)
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(tickets.events).toContainEqual(expect.objectContaining({ type: 'revoked', sub: agent.handle }))
  })

  it('the SSE transport too: its open stream is cut and its session closed when the agent is revoked', async () => {
    const { agent, client } = await agentWith(['tickets:read'])
    const mcp = new Client({ name: 'agent', version: '1.0.0' })
    const transport = new SSEClientTransport(new URL(`${tickets.resource}/sse`), { fetch: mcpFetch(client) })
    await mcp.connect(transport)
    expect(JSON.stringify((await mcp.callTool({ name: 'tickets.list', arguments: {} })).content)).toContain('printer on fire')
    // Beside the Client's own handlers, which connect() installed.
    let clientClosed = false
    const [onclose, onerror] = [transport.onclose, transport.onerror]
    transport.onclose = () => ((clientClosed = true), onclose?.())
    transport.onerror = (error) => ((clientClosed = true), onerror?.(error))
    const closedBefore = tickets.closedSessions.length

    const started = performance.now()
    expect((await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'mcp: sse' })).status).toBe(202)
    await eventually(() => clientClosed && tickets.closedSessions.length > closedBefore, 1_000)
    expect(performance.now() - started).toBeLessThan(1_000)
    await expect(mcp.callTool({ name: 'tickets.list', arguments: {} })).rejects.toThrow()
    await mcp.close()
  })

  it('revoking an agent with an open session closes it and refuses its next call within 1 s (p99 of 20); the receipt proves the grant revoked', async () => {
    // From the revoke request (what the issue bounds), and from its answer (the resource server's share).
    const latencies: number[] = []
    const afterReturn: number[] = []
    let lastRevocation = ''
    let lastGrant = ''
    for (let trial = 0; trial < 20; trial++) {
      const { agent, client } = await agentWith(['tickets:read', 'tickets:write'])
      const { mcp, transport } = await connect(client)
      await mcp.callTool({ name: 'tickets.list', arguments: {} })
      const sessionId = transport.sessionId!
      const token = (await client.exchange({ resource: tickets.resource })).access_token
      expect(await call(token, sessionId, client)).toBe(200)
      let clientClosed = false
      const onclose = transport.onclose
      transport.onclose = () => ((clientClosed = true), onclose?.())

      const started = performance.now()
      const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: `mcp trial ${trial}` })
      expect(revoked.status).toBe(202)
      const returned = performance.now()
      let status = await call(token, sessionId, client)
      while (status !== 401 && performance.now() - started < 5_000) status = await call(token, sessionId, client)
      latencies.push(performance.now() - started)
      afterReturn.push(performance.now() - returned)
      expect(status).toBe(401)

      // Refused because the event stream said so (the server still holds it), not by chance.
      expect(tickets.guard().streamHealthy()).toBe(true)
      await eventually(() => tickets.events.some((e) => e.type === 'revoked' && e.sub === agent.handle), 1_000)
      // The session is closed on the server, and the agent's own client can do nothing more.
      await eventually(() => tickets.closedSessions.includes(sessionId), 2_000)
      await expect(mcp.callTool({ name: 'tickets.list', arguments: {} })).rejects.toThrow()
      await mcp.close()
      expect(clientClosed).toBe(true)
      lastRevocation = revoked.body.revocation.id
      lastGrant = decodeJwt(token).jti!
    }
    const sorted = [...latencies].sort((a, b) => a - b)
    const p99 = sorted[Math.ceil(0.99 * sorted.length) - 1]!
    const share = [...afterReturn].sort((a, b) => a - b)
    console.info(`mcp revoke -> refused: p50 ${sorted[9]!.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${sorted.length} trials; after the revoke answered: p50 ${share[9]!.toFixed(1)} ms, p99 ${share.at(-1)!.toFixed(1)} ms`)
    expect(p99).toBeLessThan(1_000)

    await eventually(async () => (await t.admin('GET', `/v1/revocations/${lastRevocation}`)).body.status === 'done')
    const receipt = await t.admin('GET', `/v1/revocations/${lastRevocation}/receipt`)
    expect(receipt.status).toBe(200)
    const lines = (decodeJwt(receipt.body.receipt as string) as { grants: Array<{ grant_id: string; system: string; outcome: string; proof?: string }> }).grants
    expect(lines).toContainEqual(expect.objectContaining({ grant_id: lastGrant, system: 'tickets-mcp', outcome: 'revoked', proof: 'dead' }))
  })
})

describe('DPoP-bound MCP tokens (RFC 9449)', () => {
  it('an exchange with a DPoP proof gets a token bound to that key: cnf.jkt, token_type DPoP, introspected as such', async () => {
    const { client } = await agentWith(['tickets:read'])
    const exchanged = await client.exchange({ resource: tickets.resource })
    expect(exchanged.token_type).toBe('DPoP')
    const claims = decodeJwt(exchanged.access_token) as { cnf?: { jkt?: string } }
    expect(claims.cnf?.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/)
    // The handle token is bound to the same in-memory key.
    expect((decodeJwt(await client.token()) as { cnf?: { jkt?: string } }).cnf?.jkt).toBe(claims.cnf?.jkt)
    const introspected = await t.form('/oauth/introspect', { token: exchanged.access_token }, { authorization: `Bearer ${t.adminToken}` })
    expect(introspected.body).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: claims.cnf?.jkt } })
  })

  it('an unbound handle token with a proof of some key binds the MCP token to that key; without a proof it stays Bearer', async () => {
    const { agent } = await agentWith(['tickets:read'])
    const { privateKey, publicKey } = await generateKeyPair('ES256')
    const jwk = await exportJWK(publicKey)
    const handleToken = await agent.token()
    expect(decodeJwt(handleToken).cnf).toBeUndefined()
    const proof = await new SignJWT({ htm: 'POST', htu: `${t.issuer}/oauth/token`, ath: base64url.encode(createHash('sha256').update(handleToken).digest()) })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .setIssuedAt()
      .setJti(randomUUID())
      .sign(privateKey)
    const form = { grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: handleToken, subject_token_type: 'urn:ietf:params:oauth:token-type:jwt', resource: tickets.resource }
    const bound = await t.form('/oauth/token', form, { dpop: proof })
    expect(bound.status).toBe(200)
    expect(bound.body.token_type).toBe('DPoP')
    expect((decodeJwt(bound.body.access_token) as { cnf?: { jkt?: string } }).cnf?.jkt).toBe(await calculateJwkThumbprint(jwk))
    // A broken proof is refused, not ignored: nothing is minted.
    const broken = await t.form('/oauth/token', form, { dpop: `${proof.slice(0, -4)}AAAA` })
    expect(broken).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof' } })
    const plain = await t.form('/oauth/token', form)
    expect(plain.body.token_type).toBe('Bearer')
    expect(decodeJwt(plain.body.access_token).cnf).toBeUndefined()
  })

  it('the MCP server wants a fresh proof of the bound key with every request: DPoP + proof passes, a replayed proof and a Bearer do not', async () => {
    const { client } = await agentWith(['tickets:read'])
    const token = (await client.exchange({ resource: tickets.resource })).access_token
    const headers = await presenting(token, tickets.resource, client)
    const send = (h: Record<string, string>) => fetch(tickets.resource, { method: 'POST', headers: { ...h, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'dpop', version: '1.0.0' } } }) })
    const first = await send(headers)
    await first.body?.cancel()
    expect(first.status).toBe(200)
    const replayed = await send(headers)
    expect(replayed.status).toBe(401)
    expect(replayed.headers.get('www-authenticate')).toMatch(/^DPoP resource_metadata="[^"]+", algs="[^"]*ES256[^"]*", error="invalid_dpop_proof"/)
    expect(await replayed.json()).toEqual({ error: 'invalid_dpop_proof', error_description: 'the DPoP proof\'s "jti" was already used' })
    const asBearer = await initialize(tickets.resource, token)
    expect(asBearer.status).toBe(401)
    expect(asBearer.challenge).toMatch(/^DPoP .*error="invalid_token"/)
    // The SDK's client through the Lanyard provider sends proofs by itself.
    const { mcp } = await connect(client, 'tickets:read')
    expect(JSON.stringify((await mcp.callTool({ name: 'tickets.list', arguments: {} })).content)).toContain('printer on fire')
    await mcp.close()
  })

  it('revoking a bound token\'s grant is proven by the probe: alive (invalid_dpop_proof) before, dead (invalid_token) after', async () => {
    const { agent, client } = await agentWith(['tickets:read'])
    const exchanged = await client.exchange({ resource: tickets.resource })
    expect((await initialize(tickets.resource, exchanged.access_token, client)).status).toBe(200)
    // What the broker's probe sends: the DPoP scheme, no proof (it holds no key).
    const probe = () => fetch(tickets.resource, { headers: { authorization: `DPoP ${exchanged.access_token}` } }).then(async (r) => (await r.body?.cancel(), r.headers.get('www-authenticate')))
    expect(await probe()).toMatch(/error="invalid_dpop_proof"/)
    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/grants/${exchanged.grant_id}/revoke`, { reason: 'mcp: bound grant' })
    expect(revoked.status).toBe(202)
    await eventually(async () => (await t.admin('GET', `/v1/revocations/${revoked.body.revocation.id}`)).body.status === 'done')
    expect(await probe()).toMatch(/error="invalid_token"/)
    const receipt = await t.admin('GET', `/v1/revocations/${revoked.body.revocation.id}/receipt`)
    const lines = (decodeJwt(receipt.body.receipt as string) as { grants: Array<{ grant_id: string; outcome: string; proof?: string }> }).grants
    expect(lines).toContainEqual(expect.objectContaining({ grant_id: exchanged.grant_id, outcome: 'revoked', proof: 'dead' }))
  })
})
