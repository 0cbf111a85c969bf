import { randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js'
import { createResourceServer, type AuthInfo, type ResourceServer, type ResourceServerEvent, type ResourceServerOptions } from '@lanyard/mcp'
import type { AgentClient } from '@lanyard/client'
import { z } from 'zod'
import { startTestBroker, type TestBroker } from './broker.js'

/** The scope each tool of the tickets server declares. */
export const ticketTools = { 'tickets.list': 'tickets:read', 'tickets.close': 'tickets:write' } as const

/**
 * A real MCP server (`@modelcontextprotocol/sdk`, streamable HTTP, one transport per session)
 * with two tools, protected by @lanyard/mcp as its README shows. Listening before the broker
 * starts, since the broker's configuration names its URL; `protect` attaches the guard once the
 * broker is up.
 */
export interface TicketsServer {
  readonly resource: string
  readonly origin: string
  /** Sessions whose transport closed (by the client, or by a revocation). */
  readonly closedSessions: string[]
  readonly events: ResourceServerEvent[]
  guard(): ResourceServer
  protect(options: Omit<ResourceServerOptions, 'resource' | 'tools'>): Promise<ResourceServer>
  openSessions(): number
  close(): Promise<void>
}

function buildServer(): McpServer {
  const server = new McpServer({ name: 'tickets', version: '1.0.0' })
  const tickets = [
    { id: 'T-1', title: 'printer on fire', open: true },
    { id: 'T-2', title: 'coffee machine empty', open: true },
  ]
  server.registerTool('tickets.list', { description: 'Lists open tickets' }, async () => ({ content: [{ type: 'text', text: JSON.stringify(tickets.filter((t) => t.open)) }] }))
  server.registerTool('tickets.close', { description: 'Closes a ticket', inputSchema: { id: z.string() } }, async ({ id }) => {
    const ticket = tickets.find((t) => t.id === id)
    if (ticket) ticket.open = false
    return { content: [{ type: 'text', text: ticket ? `closed ${id}` : `no ticket ${id}` }] }
  })
  return server
}

export async function startTicketsServer(): Promise<TicketsServer> {
  const app = express()
  const http: Server = createServer(app)
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  const resource = `${origin}/mcp`
  const transports = new Map<string, StreamableHTTPServerTransport>()
  const closedSessions: string[] = []
  const events: ResourceServerEvent[] = []
  let guard: ResourceServer | undefined
  const mustGuard = () => {
    if (guard === undefined) throw new Error('protect() first')
    return guard
  }

  // The README's lines: metadata, then the guard in front of every MCP route.
  app.use((req, res, next) => mustGuard().metadata()(req, res, next))
  app.use('/mcp', express.json(), (req, res, next) => mustGuard().protect()(req, res, next))
  app.post('/mcp', async (req, res) => {
    const sessionId = req.header('mcp-session-id')
    let transport = sessionId === undefined ? undefined : transports.get(sessionId)
    if (transport === undefined) {
      if (sessionId !== undefined || !isInitializeRequest(req.body)) {
        res.status(404).json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null })
        return
      }
      const auth = (req as typeof req & { auth?: AuthInfo }).auth
      const created: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          transports.set(id, created)
          mustGuard().trackSession(id, auth, created)
        },
      })
      created.onclose = () => {
        if (created.sessionId === undefined) return
        transports.delete(created.sessionId)
        closedSessions.push(created.sessionId)
      }
      await buildServer().connect(created)
      transport = created
    }
    await transport.handleRequest(req, res, req.body)
  })
  const existing = async (req: express.Request, res: express.Response) => {
    const transport = transports.get(req.header('mcp-session-id') ?? '')
    if (transport === undefined) {
      res.status(404).json({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null })
      return
    }
    await transport.handleRequest(req, res)
  }
  app.get('/mcp', existing)
  app.delete('/mcp', existing)

  // The older HTTP+SSE transport, under the same resource: a GET holds the stream, POSTs carry messages.
  const sseTransports = new Map<string, SSEServerTransport>()
  app.get('/mcp/sse', async (req, res) => {
    const transport = new SSEServerTransport('/mcp/messages', res)
    sseTransports.set(transport.sessionId, transport)
    mustGuard().trackSession(transport.sessionId, (req as typeof req & { auth?: AuthInfo }).auth, transport)
    transport.onclose = () => {
      sseTransports.delete(transport.sessionId)
      closedSessions.push(transport.sessionId)
    }
    await buildServer().connect(transport)
  })
  app.post('/mcp/messages', async (req, res) => {
    const transport = sseTransports.get(String(req.query.sessionId ?? ''))
    if (transport === undefined) {
      res.status(404).json({ error: 'no such session' })
      return
    }
    await transport.handlePostMessage(req, res, req.body)
  })

  return {
    resource,
    origin,
    closedSessions,
    events,
    guard: mustGuard,
    async protect(options) {
      guard = createResourceServer({ ...options, resource, tools: ticketTools, onEvent: (event) => events.push(event) })
      await guard.ready()
      return guard
    },
    openSessions: () => transports.size,
    async close() {
      await guard?.close()
      for (const transport of [...transports.values(), ...sseTransports.values()]) await transport.close()
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => resolve()))
    },
  }
}

/** A sandbox broker whose `tickets-mcp` system is the tickets server, which it then protects. */
export async function startTicketsDeployment(
  options: { tokenTtlSeconds?: number; guard?: Partial<Omit<ResourceServerOptions, 'resource' | 'tools'>>; systems?: (origin: string) => Array<Record<string, unknown>> } = {},
): Promise<{ t: TestBroker; tickets: TicketsServer; resourceServerToken: string }> {
  const tickets = await startTicketsServer()
  // The MCP server's own credential at the broker: the event stream and its tokens' introspection, no admin API.
  const resourceServerToken = `rs-${randomUUID()}`
  const t = await startTestBroker({
    env: { TICKETS_MCP_TOKEN: resourceServerToken },
    config: {
      sandbox: true,
      upstream: { allowInsecureUpstreamHttp: true },
      systems: [
        {
          name: 'tickets-mcp',
          type: 'mcp',
          resource: tickets.resource,
          scopes: ['tickets:read', 'tickets:write'],
          tokenTtlSeconds: options.tokenTtlSeconds ?? 300,
          resourceServerToken: { env: 'TICKETS_MCP_TOKEN' },
          allowInsecureUpstreamHttp: true,
        },
        ...(options.systems?.(tickets.origin) ?? []),
      ],
    },
  })
  await tickets.protect({ authorizationServer: t.issuer, brokerCredential: resourceServerToken, reconnectDelayMs: 50, ...options.guard })
  return { t, tickets, resourceServerToken }
}

/** Exchanges a fresh handle token of `agent` for an MCP resource; returns the access token. */
export async function mcpToken(t: TestBroker, handleToken: string, resource: string, scope?: string): Promise<string> {
  const exchanged = await t.form('/oauth/token', {
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token: handleToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    resource,
    ...(scope === undefined ? {} : { scope }),
  })
  if (exchanged.status !== 200) throw new Error(`exchange: ${exchanged.status} ${JSON.stringify(exchanged.body)}`)
  return exchanged.body.access_token as string
}

/**
 * The headers that present `token` for one request: as a Bearer, or, given the agent client
 * that holds its DPoP key (a token the broker bound, `token_type` DPoP), with the DPoP scheme
 * and a fresh proof for this method and URL.
 */
export async function presenting(token: string, url: string, holder?: Pick<AgentClient, 'dpopProof'>, method = 'POST'): Promise<Record<string, string>> {
  if (holder === undefined) return { authorization: `Bearer ${token}` }
  const proof = await holder.dpopProof(method, url, token)
  if (proof === undefined) throw new Error('this client holds no DPoP key')
  return { authorization: `DPoP ${token}`, dpop: proof }
}

/** An MCP `initialize` with `token` (200 once the server accepts the token): status and challenge. */
export async function initialize(resource: string, token: string, holder?: Pick<AgentClient, 'dpopProof'>): Promise<{ status: number; challenge: string | null; body: any }> {
  const response = await fetch(resource, {
    method: 'POST',
    headers: { ...(await presenting(token, resource, holder)), 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'hostile', version: '1.0.0' } } }),
  })
  const text = await response.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // An SSE or empty answer stays text.
  }
  return { status: response.status, challenge: response.headers.get('www-authenticate'), body }
}
