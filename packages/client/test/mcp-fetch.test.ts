import { describe, expect, it } from 'vitest'
import { mcpFetch } from '../src/index.js'
import type { AgentClient, ExchangeRequest } from '../src/index.js'

const server = 'https://tickets.acme.test/mcp'
const metadataUrl = 'https://tickets.acme.test/.well-known/oauth-protected-resource/mcp'
const issuer = 'https://lanyard.acme.test'

/** An agent client that records exchanges and hands out numbered tokens; `forget` moves to the next. */
function stubAgent(options: { dpop?: boolean } = {}) {
  const exchanges: ExchangeRequest[] = []
  let generation = 1
  const agent: AgentClient = {
    handle: 'bot@agents.acme.test',
    token: async () => 'handle-token',
    async exchange(request) {
      exchanges.push(request)
      return { access_token: `at-${generation}`, token_type: options.dpop === true ? 'DPoP' : 'Bearer', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', expires_in: 300, expiresAt: new Date(Date.now() + 300_000) }
    },
    waitForApproval: async () => {
      throw new Error('mcpFetch never waits for an approval')
    },
    awsCredentialProvider: () => async () => ({ accessKeyId: '', secretAccessKey: '', sessionToken: '', expiration: new Date() }),
    forget: () => void (generation += 1),
    issuer: async () => issuer,
    signStatement: async () => 'unused.statement.jws',
    dpopProof: async (method, url, token) => (options.dpop === true ? `proof ${method} ${url} ${token}` : undefined),
    spawnChild: async () => {
      throw new Error('mcpFetch never spawns children')
    },
  }
  return { agent, exchanges }
}

/** An MCP server that accepts the tokens in `accepted`, and serves `metadata` at the well-known address. */
function fakeServer(metadata: unknown, accepted: Set<string>, challenge = `Bearer resource_metadata="${metadataUrl}"`) {
  const seen: Array<{ url: string; authorization: string | null; dpop?: string }> = []
  const fetchImpl: typeof fetch = async (input, init) => {
    const url = String(input)
    const headers = new Headers(init?.headers)
    const authorization = headers.get('authorization')
    seen.push({ url, authorization, ...(headers.has('dpop') ? { dpop: headers.get('dpop')! } : {}) })
    if (url.includes('/.well-known/oauth-protected-resource')) return Response.json(metadata)
    if (authorization !== null && accepted.has(authorization.replace(/^(Bearer|DPoP) /, ''))) return Response.json({ ok: true })
    return new Response('{"error":"invalid_token"}', { status: 401, headers: { 'www-authenticate': challenge } })
  }
  return { fetchImpl, seen }
}

const post = (f: typeof fetch) => f(server, { method: 'POST', body: '{"jsonrpc":"2.0","id":1,"method":"ping"}', headers: { 'content-type': 'application/json' } })

describe('mcpFetch', () => {
  it('on the first 401 reads the metadata, exchanges for that resource, retries with the token; later requests carry it at once', async () => {
    const { agent, exchanges } = stubAgent()
    const { fetchImpl, seen } = fakeServer({ resource: server, authorization_servers: [issuer] }, new Set(['at-1']))
    const f = mcpFetch(agent, { fetch: fetchImpl, scope: 'tickets:read' })
    expect((await post(f)).status).toBe(200)
    expect(seen.map((s) => [s.url, s.authorization])).toEqual([[server, null], [metadataUrl, null], [server, 'Bearer at-1']])
    expect(exchanges).toEqual([{ resource: server, scope: 'tickets:read' }])
    expect((await post(f)).status).toBe(200)
    expect(seen.at(-1)).toEqual({ url: server, authorization: 'Bearer at-1' })
  })

  it('a DPoP-bound token goes as Authorization: DPoP with a fresh proof for this method and URL, never as Bearer', async () => {
    const { agent } = stubAgent({ dpop: true })
    const { fetchImpl, seen } = fakeServer({ resource: server, authorization_servers: [issuer] }, new Set(['at-1']))
    const f = mcpFetch(agent, { fetch: fetchImpl })
    expect((await post(f)).status).toBe(200)
    expect(seen.at(-1)).toEqual({ url: server, authorization: 'DPoP at-1', dpop: `proof POST ${server} at-1` })
    expect(seen.filter((s) => s.authorization?.startsWith('Bearer'))).toEqual([])
  })

  it('a DPoP-bound token for a client that holds no DPoP key is refused in the client, not sent', async () => {
    const { agent } = stubAgent({ dpop: true })
    const keyless: AgentClient = { ...agent, dpopProof: async () => undefined }
    const { fetchImpl, seen } = fakeServer({ resource: server, authorization_servers: [issuer] }, new Set(['at-1']))
    await expect(post(mcpFetch(keyless, { fetch: fetchImpl }))).rejects.toMatchObject({ error: 'invalid_response' })
    expect(seen.some((s) => s.authorization !== null)).toBe(false)
  })

  it('a 401 despite a token (revoked): exchanges once more and retries once, then returns the refusal', async () => {
    const { agent, exchanges } = stubAgent()
    const accepted = new Set(['at-1'])
    const { fetchImpl } = fakeServer({ resource: server, authorization_servers: [issuer] }, accepted)
    const f = mcpFetch(agent, { fetch: fetchImpl })
    expect((await post(f)).status).toBe(200)
    accepted.clear()
    expect((await post(f)).status).toBe(401)
    expect(exchanges.length).toBe(3)
    accepted.add('at-3')
    expect((await post(f)).status).toBe(200)
  })

  it('metadata naming another resource is refused before any exchange: no token for one server reaches another', async () => {
    const { agent, exchanges } = stubAgent()
    const { fetchImpl } = fakeServer({ resource: 'https://billing.acme.test/mcp', authorization_servers: [issuer] }, new Set())
    await expect(post(mcpFetch(agent, { fetch: fetchImpl }))).rejects.toMatchObject({ error: 'invalid_response', message: expect.stringContaining('another resource') })
    expect(exchanges).toEqual([])
  })

  it('a server that does not name this agent\'s broker is invalid_target, before any exchange', async () => {
    const { agent, exchanges } = stubAgent()
    const { fetchImpl } = fakeServer({ resource: server, authorization_servers: ['https://idp.elsewhere.test'] }, new Set())
    await expect(post(mcpFetch(agent, { fetch: fetchImpl }))).rejects.toMatchObject({ error: 'invalid_target' })
    expect(exchanges).toEqual([])
  })

  it('a challenge pointing at metadata on another origin is refused', async () => {
    const { agent, exchanges } = stubAgent()
    const { fetchImpl } = fakeServer({ resource: server, authorization_servers: [issuer] }, new Set(), 'Bearer resource_metadata="https://evil.test/.well-known/oauth-protected-resource"')
    await expect(post(mcpFetch(agent, { fetch: fetchImpl }))).rejects.toMatchObject({ error: 'invalid_response', message: expect.stringContaining('another origin') })
    expect(exchanges).toEqual([])
  })
})
