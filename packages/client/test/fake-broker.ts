import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify } from 'jose'
import type { JWK } from 'jose'

/**
 * A stand-in for the broker's OAuth side that checks what the broker checks: the assertion's
 * signature against the registered key named by its `kid`, iss = sub = a known handle,
 * aud = issuer, a short lifetime, no replayed jti; the subject token of an exchange is one it
 * issued, unexpired and unrevoked; the resource names a bound system; scopes within the ceiling.
 */
export interface FakeBroker {
  url: string
  clock: FakeClock
  /** Requests served, by kind. */
  count: { discovery: number; assertion: number; exchange: number }
  /** The form of every exchange request, in order. */
  exchanges: URLSearchParams[]
  /** The verified claims and header of every accepted assertion, in order. */
  assertions: { header: Record<string, unknown>; claims: Record<string, unknown> }[]
  register(handle: string, publicJwk: JWK): Promise<void>
  /** Bind a system with a ceiling; `aws` systems answer with `aws_credentials`. */
  bind(handle: string, system: string, ceiling: string[], kind?: 'plain' | 'aws'): void
  revokeAgent(handle: string): void
  /** Revoke every handle token issued so far (as POST /oauth/revoke would). */
  revokeHandleTokens(): void
  /** Answer the next token requests with this status and body instead. */
  failNext(status: number, body?: unknown, times?: number): void
  handleTokenTtlSeconds: number
  credentialTtlSeconds: number
  close(): Promise<void>
}

export interface FakeClock {
  now(): Date
  advance(seconds: number): void
}

export function createFakeClock(start = new Date('2030-01-01T00:00:00Z')): FakeClock {
  let t = start.getTime()
  return { now: () => new Date(t), advance: (seconds) => void (t += seconds * 1000) }
}

interface Agent {
  keys: Map<string, JWK>
  revoked: boolean
  bindings: Map<string, { ceiling: string[]; kind: 'plain' | 'aws' }>
}

export async function startFakeBroker(): Promise<FakeBroker> {
  const clock = createFakeClock()
  const agents = new Map<string, Agent>()
  const handleTokens = new Map<string, { handle: string; expiresAt: number; revoked: boolean }>()
  const seenJti = new Set<string>()
  const failures: { status: number; body: unknown }[] = []
  let serial = 0
  const oauthError = (status: number, error: string, description: string) => ({ status, body: { error, error_description: description } })

  async function tokenEndpoint(form: URLSearchParams): Promise<{ status: number; body: unknown }> {
    const failure = failures.shift()
    if (failure) return failure
    switch (form.get('grant_type')) {
      case 'urn:ietf:params:oauth:grant-type:jwt-bearer':
        return assertionGrant(form.get('assertion') ?? '')
      case 'urn:ietf:params:oauth:grant-type:token-exchange':
        return exchangeGrant(form)
      default:
        return oauthError(400, 'unsupported_grant_type', 'unsupported grant_type')
    }
  }

  async function assertionGrant(assertion: string): Promise<{ status: number; body: unknown }> {
    fake.count.assertion++
    try {
      const header = decodeProtectedHeader(assertion)
      const unverified = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString()) as { sub?: string }
      const agent = agents.get(unverified.sub ?? '')
      const jwk = agent?.keys.get(header.kid ?? '')
      if (!agent || !jwk) return oauthError(400, 'invalid_grant', 'unknown handle or key')
      if (agent.revoked) return oauthError(400, 'invalid_grant', 'the agent is revoked')
      const { payload, protectedHeader } = await jwtVerify(assertion, await importJWK(jwk, header.alg), {
        algorithms: ['EdDSA', 'ES256'],
        issuer: unverified.sub,
        subject: unverified.sub,
        audience: fake.url,
        currentDate: clock.now(),
        maxTokenAge: '5m',
        requiredClaims: ['iat', 'exp', 'jti'],
      })
      if ((payload.exp ?? 0) - (payload.iat ?? 0) > 300) return oauthError(400, 'invalid_grant', 'assertion lifetime too long')
      if (seenJti.has(payload.jti ?? '')) return oauthError(400, 'invalid_grant', 'assertion replayed')
      seenJti.add(payload.jti ?? '')
      fake.assertions.push({ header: { ...protectedHeader }, claims: { ...payload } })
      const token = `ht-${++serial}-${crypto.randomUUID()}`
      handleTokens.set(token, { handle: unverified.sub ?? '', expiresAt: clock.now().getTime() + fake.handleTokenTtlSeconds * 1000, revoked: false })
      return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: fake.handleTokenTtlSeconds, issued_token_type: 'urn:ietf:params:oauth:token-type:jwt' } }
    } catch {
      return oauthError(400, 'invalid_grant', 'assertion invalid')
    }
  }

  function exchangeGrant(form: URLSearchParams): { status: number; body: unknown } {
    fake.count.exchange++
    fake.exchanges.push(form)
    const subject = handleTokens.get(form.get('subject_token') ?? '')
    if (form.get('subject_token_type') !== 'urn:ietf:params:oauth:token-type:jwt') return oauthError(400, 'invalid_request', 'subject_token_type')
    if (!subject || subject.revoked || subject.expiresAt <= clock.now().getTime()) return oauthError(400, 'invalid_grant', 'subject token invalid')
    const agent = agents.get(subject.handle)
    if (!agent || agent.revoked) return oauthError(400, 'invalid_grant', 'the agent is revoked')
    const resource = form.get('resource') ?? ''
    const binding = resource.startsWith('urn:lanyard:system:') ? agent.bindings.get(resource.slice('urn:lanyard:system:'.length)) : undefined
    if (!binding) return oauthError(400, 'invalid_target', 'no binding to that system')
    const requested = form.has('scope') ? (form.get('scope') ?? '').split(' ') : binding.ceiling
    const wider = requested.find((s) => !binding.ceiling.includes(s))
    if (wider !== undefined) return oauthError(400, 'invalid_scope', `scope "${wider}" exceeds the binding ceiling`)
    const expiresAt = new Date(clock.now().getTime() + fake.credentialTtlSeconds * 1000)
    const n = ++serial
    return {
      status: 200,
      body: {
        access_token: `cred-${n}`,
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
        expires_in: fake.credentialTtlSeconds,
        scope: requested.join(' '),
        grant_id: `grant-${n}`,
        ...(binding.kind === 'aws'
          ? { aws_credentials: { access_key_id: `ASIA${n}`, secret_access_key: `secret-${n}`, session_token: `session-${n}`, expiration: expiresAt.toISOString() } }
          : {}),
      },
    }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        res.end(body === undefined ? '' : JSON.stringify(body))
      }
      if (req.method === 'GET' && req.url === '/.well-known/openid-configuration') {
        fake.count.discovery++
        return send(200, { issuer: fake.url, token_endpoint: `${fake.url}/oauth/token`, jwks_uri: `${fake.url}/.well-known/jwks.json` })
      }
      if (req.method === 'POST' && req.url === '/oauth/token') {
        if (req.headers['content-type'] !== 'application/x-www-form-urlencoded') return send(400, { error: 'invalid_request', error_description: 'form body expected' })
        const { status, body } = await tokenEndpoint(new URLSearchParams(Buffer.concat(chunks).toString()))
        return send(status, body)
      }
      return send(404, { error: 'invalid_request', error_description: 'not found' })
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')

  const fake: FakeBroker = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    clock,
    count: { discovery: 0, assertion: 0, exchange: 0 },
    exchanges: [],
    assertions: [],
    handleTokenTtlSeconds: 600,
    credentialTtlSeconds: 3600,
    async register(handle, publicJwk) {
      const agent = agents.get(handle) ?? { keys: new Map(), revoked: false, bindings: new Map() }
      agent.keys.set(await calculateJwkThumbprint(publicJwk, 'sha256'), publicJwk)
      agents.set(handle, agent)
    },
    bind(handle, system, ceiling, kind = 'plain') {
      agents.get(handle)?.bindings.set(system, { ceiling, kind })
    },
    revokeAgent(handle) {
      const agent = agents.get(handle)
      if (agent) agent.revoked = true
    },
    revokeHandleTokens() {
      for (const t of handleTokens.values()) t.revoked = true
    },
    failNext(status, body, times = 1) {
      for (let i = 0; i < times; i++) failures.push({ status, body })
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        server.closeAllConnections()
      }),
  }
  return fake
}
