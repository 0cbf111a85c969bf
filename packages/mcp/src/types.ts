import type { IncomingMessage, ServerResponse } from 'node:http'

/* The public types of @lanyard/mcp: the options, the events, the AuthInfo handed to tool handlers and the server object. */

export interface ResourceServerOptions {
  /** This MCP server's URL as agents name it (`https://tickets.acme.dev/mcp`): the `aud` it accepts. */
  readonly resource: string
  /** The broker's issuer identifier: `iss` of its tokens, announced as the authorization server. */
  readonly authorizationServer: string
  /** Where this server reaches the broker, when not at `authorizationServer` (an internal name). */
  readonly brokerUrl?: string
  /** Bearer the broker accepts on its revocation event stream and on introspection. */
  readonly brokerCredential: string
  /**
   * The scopes each tool needs (`{ 'tickets.close': 'tickets:write' }`): a `tools/call` for it
   * with a token lacking one is 403 `insufficient_scope` naming them.
   */
  readonly tools: Readonly<Record<string, string | readonly string[]>>
  /** A `tools/call` for a tool not in `tools`: refused (default, fail closed) or allowed. */
  readonly undeclaredTools?: 'refuse' | 'allow'
  /** Announced in the metadata; default: every scope named in `tools`. */
  readonly scopesSupported?: readonly string[]
  readonly resourceName?: string
  readonly fetch?: typeof fetch
  /** Without any event or heartbeat for this long the stream counts as lost. Default 45 000. */
  readonly streamStaleMs?: number
  /** Pause before opening a lost stream again. Default 1 000. */
  readonly reconnectDelayMs?: number
  /** Leeway on `exp`, `iat` and `nbf`. Default 5 s. */
  readonly clockToleranceSeconds?: number
  /** A DPoP proof's `iat` may be this far from the clock, either side, and its `jti` is remembered this long. Default 60. */
  readonly dpopMaxAgeSeconds?: number
  /** Largest JSON body read when nothing parsed it before. Default 1 MiB. */
  readonly maxBodyBytes?: number
  /** Revocations are kept this long: longer than any token the broker issues. Default 1 day. */
  readonly retainRevocationsSeconds?: number
  /** Time source for token checks (`exp`, `iat`); tests pass a fake one. Default: the system clock. */
  readonly clock?: { now(): Date }
  /** Called on stream changes and refusals; never with a token. */
  readonly onEvent?: (event: ResourceServerEvent) => void
}

export type ResourceServerEvent =
  | { readonly type: 'stream.ready' }
  | { readonly type: 'stream.lost'; readonly reason: string }
  | { readonly type: 'revoked'; readonly sub: string; readonly jti?: string; readonly closedSessions: number }
  | { readonly type: 'refused'; readonly status: number; readonly error: string; readonly description?: string }

/** Compatible with `AuthInfo` of `@modelcontextprotocol/sdk` (`extra.authInfo` in tool handlers). */
export interface AuthInfo {
  token: string
  clientId: string
  scopes: string[]
  expiresAt?: number
  resource?: URL
  extra?: Record<string, unknown>
}

/** Anything with `close()`: a `StreamableHTTPServerTransport` or `SSEServerTransport`. */
export interface Closable {
  close(): void | Promise<void>
}

export type Next = (error?: unknown) => void
export type Handler = (req: IncomingMessage, res: ServerResponse, next: Next) => void

export interface ResourceServer {
  /** Path of the RFC 9728 document for `resource` (`/.well-known/oauth-protected-resource/mcp`). */
  readonly metadataPath: string
  readonly metadataUrl: string
  /**
   * node:http: answers the metadata path and refused requests itself and resolves undefined;
   * otherwise resolves the caller's AuthInfo, also set as `req.auth` (the SDK's transports
   * read it there), with the JSON body it read, if any, at `req.body`.
   */
  handle(req: IncomingMessage, res: ServerResponse): Promise<AuthInfo | undefined>
  /** Express: serves the metadata, then next(). Mount before everything else. */
  metadata(): Handler
  /** Express: `app.post('/mcp', auth.protect(), handler)`. */
  protect(): Handler
  /** Ties an MCP session to its caller: closed when the caller's agent or token is revoked. */
  trackSession(sessionId: string, auth: AuthInfo | undefined, transport: Closable): void
  /** True while the broker's event stream is up; false = every request is introspected. */
  streamHealthy(): boolean
  /** Resolves once the event stream is up (or rejects after `timeoutMs`). */
  ready(timeoutMs?: number): Promise<void>
  close(): Promise<void>
}
