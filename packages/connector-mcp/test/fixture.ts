import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createResourceServer } from '@lanyard/mcp'
import type { ResourceServer } from '@lanyard/mcp'
import type { BrokerSigner } from '@lanyard/connector-sdk'
import { SignJWT, exportJWK, generateKeyPair, jwtVerify } from 'jose'
import type { CryptoKey, JWK } from 'jose'

const credentialChange = 'https://schemas.openid.net/secevent/caep/event-type/credential-change'

/**
 * The broker as a resource server sees it, and no more: RFC 8414 metadata, a JWKS, the
 * revocation event stream and introspection, over one ES256 key. Its `signer` is what the
 * broker lends the connector, so the tokens the connector mints are what a real broker signs.
 */
export interface BrokerStandIn {
  readonly issuer: string
  readonly credential: string
  readonly signer: BrokerSigner
  /** Drops every open event stream (a resource server then falls back to introspection). */
  dropStreams(): void
  close(): Promise<void>
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)))
}

async function form(req: IncomingMessage): Promise<URLSearchParams> {
  let text = ''
  for await (const chunk of req) text += String(chunk)
  return new URLSearchParams(text)
}

export async function startBrokerStandIn(): Promise<BrokerStandIn> {
  const { publicKey, privateKey } = await generateKeyPair('ES256')
  const kid = 'stand-in-es256'
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }
  const credential = `rs-${randomUUID()}`
  const revoked = new Set<string>()
  const streams = new Set<ServerResponse>()
  const server = createServer()
  const issuer = await listen(server)
  const eventsUrl = `${issuer}/v1/events`
  const sign = (claims: Record<string, unknown>, typ: string, key: CryptoKey = privateKey) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid, typ }).setIssuer(issuer).setIssuedAt().sign(key)

  server.on('request', (req, res) => {
    void (async () => {
      const path = (req.url ?? '').split('?')[0]
      const authorised = req.headers.authorization === `Bearer ${credential}`
      if (path === '/.well-known/oauth-authorization-server') {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, introspection_endpoint: `${issuer}/oauth/introspect`, lanyard_revocation_events_endpoint: eventsUrl }))
      } else if (path === '/jwks') {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ keys: [jwk] }))
      } else if (path === '/v1/events' && authorised) {
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        streams.add(res)
        res.once('close', () => streams.delete(res))
        res.write(`event: ready\ndata: ${JSON.stringify({ now: Math.floor(Date.now() / 1000) })}\n\n`)
      } else if (path === '/oauth/introspect' && req.method === 'POST' && authorised) {
        const token = (await form(req)).get('token') ?? ''
        let active = false
        try {
          const { payload } = await jwtVerify(token, publicKey, { issuer, typ: 'at+jwt' })
          active = !revoked.has(String(payload.jti))
        } catch {
          active = false
        }
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ active }))
      } else {
        res.statusCode = authorised ? 404 : 401
        res.end()
      }
    })()
  })

  const signer: BrokerSigner = {
    issuer,
    signIdToken: () => Promise.reject(new Error('the mcp connector signs no ID token')),
    async signAccessToken(claims) {
      return new SignJWT({ scope: claims.scope, client_id: claims.clientId, ...(claims.jkt === undefined ? {} : { cnf: { jkt: claims.jkt } }) })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' })
        .setIssuer(issuer)
        .setSubject(claims.sub)
        .setAudience(claims.aud)
        .setIssuedAt()
        .setExpirationTime(`${claims.ttlSeconds}s`)
        .setJti(claims.jti)
        .sign(privateKey)
    },
    async revokeAccessToken({ jti, sub }) {
      revoked.add(jti)
      const subject = { format: 'iss_sub', iss: issuer, sub }
      const set = await sign({ aud: eventsUrl, jti: randomUUID(), sub_id: subject, events: { [credentialChange]: { subject, change_type: 'revoke', friendly_name: `access-token/${jti}` } } }, 'secevent+jwt')
      for (const stream of streams) stream.write(`event: set\ndata: ${set}\n\n`)
    },
  }

  return {
    issuer,
    credential,
    signer,
    dropStreams() {
      for (const stream of streams) stream.destroy()
    },
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/** A resource server protected by @lanyard/mcp: one tool per scope (`use:<scope>`), answering any JSON-RPC call it lets through. */
export interface ProtectedServer {
  readonly resource: string
  readonly guard: ResourceServer
  /** The HTTP status the server answers `token` with, for a call of each scope's tool (or a ping). */
  status(token: string, scope?: string): Promise<number>
  close(): Promise<void>
}

export async function startProtectedServer(broker: BrokerStandIn, scopes: readonly string[]): Promise<ProtectedServer> {
  const server = createServer()
  const origin = await listen(server)
  const resource = `${origin}/mcp`
  const guard = createResourceServer({
    resource,
    authorizationServer: broker.issuer,
    brokerCredential: broker.credential,
    tools: Object.fromEntries(scopes.map((scope) => [`use:${scope}`, scope])),
    reconnectDelayMs: 50,
  })
  server.on('request', (req, res) => {
    void guard.handle(req, res).then((auth) => {
      if (auth === undefined) return
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: {} }))
    })
  })
  await guard.ready()
  return {
    resource,
    guard,
    async status(token, scope) {
      const message = scope === undefined ? { jsonrpc: '2.0', id: 1, method: 'ping' } : { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: `use:${scope}`, arguments: {} } }
      const response = await fetch(resource, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(message) })
      await response.body?.cancel()
      return response.status
    },
    async close() {
      await guard.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
