import type { AgentClient } from './agent-client.js'
import { isRecord, LanyardClientError } from './errors.js'

export interface McpFetchOptions {
  /** Scopes to ask for at every MCP server; omitted: the binding's whole ceiling. */
  scope?: string[] | string
  /** The fetch that reaches MCP servers; default the global one. */
  fetch?: typeof fetch
}

/** An access token for one MCP server, and whether it goes with a DPoP proof. */
interface Credential {
  readonly token: string
  readonly dpop: boolean
}

/** What the agent learnt from one server's RFC 9728 metadata. */
interface ProtectedResource {
  readonly resource: string
}

const metadataRoot = '/.well-known/oauth-protected-resource'

/**
 * A `fetch` for the client transports of `@modelcontextprotocol/sdk`
 * (`new StreamableHTTPClientTransport(url, { fetch: mcpFetch(agent) })`, likewise the SSE
 * transport) that signs the agent in to MCP servers protected by Lanyard:
 * (1) on a server's first 401, reads its Protected Resource Metadata (RFC 9728: the
 *     `resource_metadata` of the challenge, else the well-known address), and checks that it
 *     names this very server and this agent's broker as its authorization server, so no other
 *     server can obtain a token meant for it;
 * (2) exchanges the handle token for that resource (RFC 8693 with an RFC 8707 `resource`), and
 *     sends the request again with the token; the agent client caches the token and exchanges
 *     again before it expires;
 * (3) on a 401 despite a token (revoked, expired early), exchanges once more and retries once;
 *     a broker that refuses (the agent is revoked or suspended) surfaces as the client's typed
 *     error. A 403 `insufficient_scope` is returned as it is: asking again would not widen
 *     the binding.
 * A token the broker bound to the client's DPoP key (`token_type` DPoP, the default while the
 * client binds its handle tokens) goes as `Authorization: DPoP` with a fresh proof of that key
 * for each request (RFC 9449 7): copied out of the process, it is useless.
 */
export function mcpFetch(agent: AgentClient, options: McpFetchOptions = {}): typeof fetch {
  const fetchImpl = options.fetch ?? globalThis.fetch
  const known = new Map<string, Promise<ProtectedResource>>()
  const scope = options.scope

  const credentialFor = async (resource: ProtectedResource): Promise<Credential> => {
    const exchanged = await agent.exchange({ resource: resource.resource, ...(scope === undefined ? {} : { scope }) })
    return { token: exchanged.access_token, dpop: exchanged.token_type.toLowerCase() === 'dpop' }
  }

  async function discover(server: URL, challenge: string | null): Promise<ProtectedResource> {
    const path = server.pathname === '/' ? '' : server.pathname.replace(/\/+$/, '')
    const named = challenge === null ? undefined : /resource_metadata="([^"]+)"/.exec(challenge)?.[1]
    const candidates = named !== undefined ? [named] : [`${server.origin}${metadataRoot}${path}`, `${server.origin}${metadataRoot}`]
    for (const candidate of candidates) {
      const url = new URL(candidate, server)
      // The metadata must come from the server itself: a challenge pointing elsewhere is ignored.
      if (url.origin !== server.origin) throw new LanyardClientError('invalid_response', { description: 'the MCP server named resource metadata on another origin' })
      const response = await fetchImpl(url, { headers: { accept: 'application/json' } })
      if (!response.ok) {
        await response.body?.cancel()
        continue
      }
      const body: unknown = await response.json()
      if (!isRecord(body) || typeof body.resource !== 'string' || !Array.isArray(body.authorization_servers)) {
        throw new LanyardClientError('invalid_response', { description: 'the MCP server\'s resource metadata has no resource or authorization_servers' })
      }
      const resource = new URL(body.resource)
      // RFC 9728 3.3 and the MCP spec: the metadata must name the server it was fetched for.
      if (resource.origin !== server.origin || !`${server.pathname}/`.startsWith(`${resource.pathname.replace(/\/+$/, '')}/`)) {
        throw new LanyardClientError('invalid_response', { description: `the MCP server's metadata names another resource (${body.resource})` })
      }
      const issuer = await agent.issuer()
      if (!body.authorization_servers.includes(issuer)) {
        throw new LanyardClientError('invalid_target', { description: `the MCP server at ${server.origin} does not name this agent's broker (${issuer}) as its authorization server` })
      }
      return { resource: body.resource }
    }
    throw new LanyardClientError('invalid_response', { description: `the MCP server at ${server.origin} publishes no protected resource metadata` })
  }

  return async (input, init) => {
    const request = new Request(input, init)
    const server = new URL(request.url)
    const key = `${server.origin}${server.pathname}`
    // A streamed body cannot be sent twice: such a request is sent once, with what is known.
    const replayable = init?.body === undefined || init.body === null || typeof init.body === 'string' || init.body instanceof URLSearchParams
    const send = async (credential: Credential | undefined) => {
      const headers = new Headers(request.headers)
      headers.delete('dpop')
      if (credential === undefined) headers.delete('authorization')
      else if (!credential.dpop) headers.set('authorization', `Bearer ${credential.token}`)
      else {
        const proof = await agent.dpopProof(request.method, request.url, credential.token)
        if (proof === undefined) throw new LanyardClientError('invalid_response', { description: 'the broker bound the MCP token to a DPoP key this client does not hold' })
        headers.set('authorization', `DPoP ${credential.token}`)
        headers.set('dpop', proof)
      }
      return fetchImpl(request.url, { ...init, headers })
    }

    const cached = known.get(key)
    const resource = cached === undefined ? undefined : await cached.catch(() => undefined)
    const first = await send(resource === undefined ? undefined : await credentialFor(resource))
    if (first.status !== 401 || !replayable) return first

    await first.body?.cancel()
    let found = resource
    if (found === undefined) {
      const discovery = discover(server, first.headers.get('www-authenticate'))
      known.set(key, discovery)
      discovery.catch(() => known.delete(key))
      found = await discovery
    } else {
      // Refused with a token: it may be revoked or expired early. Exchange once more.
      agent.forget({ resource: found.resource, ...(scope === undefined ? {} : { scope }) })
    }
    return send(await credentialFor(found))
  }
}
