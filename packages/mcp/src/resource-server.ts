import type { IncomingMessage, ServerResponse } from 'node:http'
import { jwtVerify } from 'jose'
import type { JWTPayload } from 'jose'
import { createBrokerClient } from './broker.js'
import type { BrokerEndpoints } from './broker.js'
import { Refusal, refuse } from './challenge.js'
import { DpopProofRefused, createProofVerifier, dpopAlgorithms } from './dpop.js'
import { jsonBody, tokenProblem, toolCalled } from './request.js'
import { createRevocationList, openEventStream, readSet } from './revocations.js'
import type { EventStream } from './revocations.js'
import type { AuthInfo, Closable, ResourceServer, ResourceServerOptions } from './types.js'

interface Verified {
  readonly payload: JWTPayload & { sub: string; jti: string; iat: number; exp: number; scope?: unknown; client_id?: unknown; cnf?: unknown }
  readonly scopes: readonly string[]
}

const metadataRoot = '/.well-known/oauth-protected-resource'

/**
 * Protects an MCP server with Lanyard. Every request must carry a broker-signed RFC 9068
 * access token for exactly this resource, unexpired, not revoked, with the scope the called
 * tool declares. Revocations arrive on the broker's event stream: the agent's tokens are
 * refused at once and its sessions closed. While the stream is down, each request is
 * introspected at the broker and refused when the broker cannot answer (fail closed); after it
 * is back, a token issued before it came up is introspected once, since events of the gap are
 * lost.
 */
export function createResourceServer(options: ResourceServerOptions): ResourceServer {
  const resource = new URL(options.resource)
  if (resource.hash !== '') throw new TypeError('resource: an RFC 8707 resource indicator has no fragment')
  const issuer = options.authorizationServer.replace(/\/+$/, '')
  const brokerUrl = (options.brokerUrl ?? options.authorizationServer).replace(/\/+$/, '')
  const fetchImpl = options.fetch ?? globalThis.fetch
  const tolerance = options.clockToleranceSeconds ?? 5
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024
  const emit = options.onEvent ?? (() => {})
  const requiredByTool = new Map(Object.entries(options.tools).map(([tool, scopes]) => [tool, typeof scopes === 'string' ? [scopes] : [...scopes]]))
  const scopesSupported = options.scopesSupported ?? [...new Set([...requiredByTool.values()].flat())]
  const path = resource.pathname === '/' ? '' : resource.pathname.replace(/\/+$/, '')
  const metadataPath = `${metadataRoot}${path}`
  const metadataUrl = `${resource.origin}${metadataPath}`
  const metadataBody = JSON.stringify({
    resource: options.resource,
    authorization_servers: [issuer],
    scopes_supported: scopesSupported,
    bearer_methods_supported: ['header'],
    dpop_signing_alg_values_supported: [...dpopAlgorithms],
    ...(options.resourceName === undefined ? {} : { resource_name: options.resourceName }),
  })

  const revoked = createRevocationList(options.retainRevocationsSeconds ?? 86_400)
  /** Caller and transport of each tracked session, and every open response per subject. */
  const sessions = new Map<string, { sub: string; jti: string; transport: Closable }>()
  const open = new Map<string, Set<ServerResponse>>()
  /** Bumped each time the stream comes up; tokens confirmed by introspection in this epoch. */
  let epoch = 0
  let streamSince = Number.POSITIVE_INFINITY
  const confirmed = new Map<string, number>()
  let stream: EventStream | undefined
  let readyWaiters: Array<() => void> = []

  // (1) Endpoints from the broker's RFC 8414 metadata, fetched once; a failure is retried on use.
  const broker = createBrokerClient({ issuer, brokerUrl, fetch: fetchImpl, credential: options.brokerCredential })
  const discover = broker.discover

  // (2) The event stream, opened as soon as the endpoints are known.
  let closing = false
  const startStream = async () => {
    for (let attempt = 0; !closing; attempt++) {
      try {
        const found = await discover()
        if (closing) return
        stream = openEventStream({
          url: found.events,
          credential: options.brokerCredential,
          fetch: fetchImpl,
          staleMs: options.streamStaleMs ?? 45_000,
          reconnectDelayMs: options.reconnectDelayMs ?? 1_000,
          onReady(now) {
            epoch++
            streamSince = now
            confirmed.clear()
            emit({ type: 'stream.ready' })
            for (const wake of readyWaiters) wake()
            readyWaiters = []
          },
          onSet(jwt) {
            void readSet(jwt, found.jwks, issuer, found.eventsAudience).then(
              (events) => {
                for (const event of events) apply(event)
              },
              () => emit({ type: 'refused', status: 0, error: 'invalid_set', description: 'a revocation event failed verification and was ignored' }),
            )
          },
          onLost(reason) {
            streamSince = Number.POSITIVE_INFINITY
            emit({ type: 'stream.lost', reason })
          },
        })
        return
      } catch {
        await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, (options.reconnectDelayMs ?? 1_000) * 2 ** attempt)).unref())
      }
    }
  }
  void startStream()

  const now = () => options.clock?.now() ?? new Date()
  const nowSeconds = () => Math.floor(now().getTime() / 1000)
  const proofs = createProofVerifier({ maxAgeSeconds: options.dpopMaxAgeSeconds ?? 60, now: () => now().getTime() / 1000 })

  function apply(event: Parameters<typeof revoked.add>[0]): void {
    revoked.add(event, nowSeconds())
    // (3) Close what the revoked caller holds open: tracked sessions, then any open response.
    let closedSessions = 0
    for (const [id, session] of sessions) {
      const hit = event.kind === 'subject' ? session.sub === event.sub : session.jti === event.jti
      if (!hit) continue
      sessions.delete(id)
      closedSessions++
      void Promise.resolve().then(() => session.transport.close()).catch(() => {})
    }
    if (event.kind === 'subject') {
      for (const res of open.get(event.sub) ?? []) res.destroy()
      open.delete(event.sub)
    }
    emit({ type: 'revoked', sub: event.sub, ...(event.kind === 'token' ? { jti: event.jti } : {}), closedSessions })
  }

  async function verify(token: string): Promise<Verified> {
    let found: BrokerEndpoints
    try {
      found = await discover()
    } catch {
      throw new Refusal({ status: 503, error: 'temporarily_unavailable', description: 'the authorization server cannot be reached' })
    }
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, found.jwks, { issuer, audience: options.resource, typ: 'at+jwt', algorithms: ['RS256', 'ES256'], clockTolerance: tolerance, currentDate: now(), requiredClaims: ['sub', 'jti', 'iat', 'exp'] }))
    } catch (error) {
      throw new Refusal({ status: 401, error: 'invalid_token', description: tokenProblem(error) })
    }
    const claims = payload as Verified['payload']
    if (typeof claims.sub !== 'string' || typeof claims.jti !== 'string') throw new Refusal({ status: 401, error: 'invalid_token', description: 'sub and jti must be strings' })
    if (revoked.isRevoked(claims)) throw new Refusal({ status: 401, error: 'invalid_token', description: 'the token is revoked' })
    // (4) Stream down, or the token predates the stream: the broker decides, once per epoch.
    const healthy = stream?.healthy() ?? false
    if (!healthy || (claims.iat <= streamSince && confirmed.get(claims.jti) !== epoch)) {
      const seenEpoch = epoch
      const active = await broker.introspect(found.introspection, token)
      if (!active) throw new Refusal({ status: 401, error: 'invalid_token', description: 'the token is revoked' })
      if (healthy && seenEpoch === epoch) confirmed.set(claims.jti, epoch)
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : []
    return { payload: claims, scopes }
  }

  async function authorize(req: IncomingMessage, res: ServerResponse): Promise<AuthInfo> {
    const header = req.headers.authorization
    const match = typeof header === 'string' ? /^(Bearer|DPoP) ([A-Za-z0-9._~+/-]+=*)$/i.exec(header) : null
    if (match === null) {
      throw new Refusal(header === undefined ? { status: 401 } : { status: 401, error: 'invalid_request', description: 'expected Authorization: Bearer <token> (or DPoP <token>)' })
    }
    const token = match[2]!
    const { payload, scopes } = await verify(token)
    const jkt = await checkSender(req, match[1]!.toLowerCase() === 'dpop', token, payload)
    const sessionId = req.headers['mcp-session-id']
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId)
      if (session !== undefined && session.sub !== payload.sub) throw new Refusal({ status: 403, error: 'invalid_token', description: 'the session belongs to another agent' })
    }
    // (5) Scope per tool: the JSON-RPC body says which tools are called.
    const body = await jsonBody(req, maxBodyBytes)
    const missing = new Set<string>()
    for (const message of Array.isArray(body) ? body : [body]) {
      const tool = toolCalled(message)
      if (tool === undefined) continue
      const required = requiredByTool.get(tool)
      if (required === undefined) {
        if ((options.undeclaredTools ?? 'refuse') === 'refuse') throw new Refusal({ status: 403, error: 'insufficient_scope', description: `tool "${tool}" declares no scope`, scope: [] })
        continue
      }
      for (const scope of required) if (!scopes.includes(scope)) missing.add(scope)
    }
    if (missing.size > 0) {
      throw new Refusal({ status: 403, error: 'insufficient_scope', description: `the token lacks ${[...missing].map((s) => `"${s}"`).join(', ')}`, scope: [...new Set([...scopes, ...missing])] })
    }
    const auth: AuthInfo = {
      token,
      clientId: typeof payload.client_id === 'string' ? payload.client_id : payload.sub,
      scopes: [...scopes],
      expiresAt: payload.exp,
      resource,
      extra: { sub: payload.sub, jti: payload.jti, ...(payload['act'] === undefined ? {} : { act: payload['act'] }), ...(jkt === undefined ? {} : { jkt }) },
    }
    // (6) Kept while open, so a revocation can cut a long-lived stream.
    let set = open.get(payload.sub)
    if (set === undefined) open.set(payload.sub, (set = new Set()))
    set.add(res)
    res.once('close', () => {
      const current = open.get(payload.sub)
      current?.delete(res)
      if (current?.size === 0) open.delete(payload.sub)
    })
    ;(req as IncomingMessage & { auth?: AuthInfo }).auth = auth
    return auth
  }

  /**
   * RFC 9449 7: a token with `cnf.jkt` is only good with the DPoP scheme and a fresh proof of
   * that key for this very request; as a plain Bearer it is refused (7.2). A token without
   * `cnf` is only good as a Bearer. Checked after the token itself, so that a refusal of a
   * sound token says `invalid_dpop_proof` and of a dead one `invalid_token` (the broker's probe
   * reads the difference). Returns the bound key's thumbprint.
   */
  async function checkSender(req: IncomingMessage, dpopScheme: boolean, token: string, payload: Verified['payload']): Promise<string | undefined> {
    const { cnf } = payload
    if (cnf === undefined) {
      if (dpopScheme) throw new Refusal({ status: 401, error: 'invalid_token', description: 'the token is not DPoP-bound: present it as Bearer' })
      return undefined
    }
    const jkt = typeof cnf === 'object' && cnf !== null ? (cnf as { jkt?: unknown }).jkt : undefined
    if (typeof jkt !== 'string') throw new Refusal({ status: 401, error: 'invalid_token', description: 'the token\'s cnf claim is not accepted here', scheme: 'DPoP' })
    if (!dpopScheme) throw new Refusal({ status: 401, error: 'invalid_token', description: 'the token is DPoP-bound: present it as Authorization: DPoP with a proof', scheme: 'DPoP' })
    const proof = req.headers.dpop
    const path = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/'
    try {
      // `htu` as the client addressed it: this resource's public origin, whatever Host said.
      await proofs.verify({ proof: Array.isArray(proof) ? proof.join(', ') : proof, method: req.method ?? '', url: `${resource.origin}${path}`, accessToken: token, jkt })
    } catch (error) {
      if (error instanceof DpopProofRefused) throw new Refusal({ status: 401, error: 'invalid_dpop_proof', description: error.message, scheme: 'DPoP' })
      throw error
    }
    return jkt
  }

  function serveMetadata(req: IncomingMessage, res: ServerResponse): boolean {
    const url = (req.url ?? '').split('?')[0]
    if ((url !== metadataPath && url !== metadataRoot) || (req.method !== 'GET' && req.method !== 'HEAD')) return false
    res.statusCode = 200
    res.setHeader('Content-Type', 'application/json')
    res.setHeader('Cache-Control', 'public, max-age=300')
    res.setHeader('Access-Control-Allow-Origin', '*')
    res.end(req.method === 'HEAD' ? undefined : metadataBody)
    return true
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<AuthInfo | undefined> {
    if (serveMetadata(req, res)) return undefined
    try {
      return await authorize(req, res)
    } catch (error) {
      if (!(error instanceof Refusal)) throw error
      emit({ type: 'refused', status: error.challenge.status, error: error.challenge.error ?? 'missing_token', ...(error.challenge.description === undefined ? {} : { description: error.challenge.description }) })
      refuse(res, metadataUrl, error.challenge, dpopAlgorithms)
      return undefined
    }
  }

  return {
    metadataPath,
    metadataUrl,
    handle,
    metadata: () => (req, res, next) => {
      if (!serveMetadata(req, res)) next()
    },
    protect: () => (req, res, next) => {
      handle(req, res).then((auth) => auth !== undefined && next(), next)
    },
    trackSession(sessionId, auth, transport) {
      const sub = auth?.extra?.['sub']
      const jti = auth?.extra?.['jti']
      if (typeof sub !== 'string' || typeof jti !== 'string') throw new TypeError('trackSession: pass the AuthInfo this server set on req.auth')
      sessions.set(sessionId, { sub, jti, transport })
    },
    streamHealthy: () => stream?.healthy() ?? false,
    ready(timeoutMs = 10_000) {
      if (stream?.healthy()) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the broker event stream did not come up')), timeoutMs)
        readyWaiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    },
    async close() {
      closing = true
      stream?.close()
      for (const session of sessions.values()) await Promise.resolve(session.transport.close()).catch(() => {})
      sessions.clear()
    },
  }
}
