import { SignJWT, decodeJwt } from 'jose'
import type { JWK } from 'jose'
import { createDpopProver } from './dpop.js'
import { loadAgentKey, signingAlgorithm } from './agent-key.js'
import type { AgentKey } from './agent-key.js'
import { requestJson } from './broker-http.js'
import { postChild, type SpawnChildRequest, type SpawnedChild } from './children.js'
import { ApprovalRequired, InvalidGrant, isRecord, LanyardClientError } from './errors.js'
import { createExpiringCache } from './expiring-cache.js'
import type { Expiring } from './expiring-cache.js'
import { GRANT_TYPE_JWT_BEARER, GRANT_TYPE_TOKEN_EXCHANGE, SYSTEM_RESOURCE_PREFIX, TOKEN_TYPE_JWT } from './wire.js'
import { signStatement as signAgentStatement } from './statement.js'
import type { AwsCredentialsMember, DiscoveryDocument, TokenExchangeResponse } from './wire.js'

/**
 * Where a platform token comes from, called for every sign-in (platform tokens are short-lived
 * and re-issued). `audience` is the broker's issuer, the audience a trust rule usually names.
 */
export type FederatedTokenSource = (context: { audience: string }) => Promise<string | Uint8Array> | string | Uint8Array

export interface AgentClientOptions {
  /** Where the agent reaches the broker, e.g. `https://lanyard.acme.dev`. */
  brokerUrl: string
  /**
   * The agent's handle, e.g. `deploy-bot@agents.acme.dev`. Required with `privateKey`. With
   * `federated`, optional: sent as `client_id` when the platform identity may sign in as
   * several agents; otherwise learnt from the handle token.
   */
  handle?: string
  /** A private Ed25519 (EdDSA) or P-256 (ES256) key whose public half is registered for the handle. */
  privateKey?: JWK | CryptoKey
  /**
   * Sign in with a platform token instead of a key: a GitHub Actions OIDC token
   * (`githubActionsToken()`), a projected Kubernetes token (`() => readFile(path)`), a JWT-SVID.
   */
  federated?: FederatedTokenSource
  /**
   * Bind handle tokens to a fresh in-memory key with DPoP (RFC 9449): a token copied out of the
   * process is useless without it. Default true; false gives bearer tokens (to print or pass on).
   */
  dpop?: boolean
  /** RFC 7638 thumbprint of the public key. Derived from the key; needed only for a non-extractable CryptoKey. */
  kid?: string
  fetch?: typeof fetch
  /** Credentials are refreshed this long before they expire. Default 30. */
  refreshSkewSeconds?: number
  /** Time source (structurally @lanyard/core's Clock); tests pass a fake one. */
  clock?: { now(): Date }
}

export interface ExchangeRequest {
  /** The system's name in the broker's configuration, e.g. `aws-prod`. */
  system?: string
  /**
   * Instead of `system`: an RFC 8707 resource the broker serves as a system, e.g. an MCP
   * server's URL (`https://tickets.acme.dev/mcp`). Exactly one of the two.
   */
  resource?: string
  /** What the agent needs; the broker narrows within the binding's ceiling. Omitted: the ceiling. */
  scope?: string[] | string
  /** Spends this approval: the exchange must ask exactly the scopes it was given for. */
  approvalId?: string
  /** Shown to the approver if this exchange needs an approval; at most 500 characters. */
  reason?: string
}

export interface WaitForApprovalOptions {
  /** Seconds between polls; default the broker's `interval` (5 when unknown). */
  intervalSeconds?: number
  /** Stop waiting (AbortError) when this aborts. */
  signal?: AbortSignal
  /** Called before each wait, e.g. to print that the agent is waiting. */
  onWaiting?: (approvalId: string) => void
}

/** The RFC 8693 response as the broker sent it (system members included), plus when to stop using it. */
export type ExchangedCredential = TokenExchangeResponse & { expiresAt: Date }

/** Shape of the AWS SDK v3 `AwsCredentialIdentity`, without depending on it. */
export interface AwsCredentialIdentity {
  accessKeyId: string
  secretAccessKey: string
  sessionToken: string
  expiration: Date
}

/** Compatible with the AWS SDK v3 `AwsCredentialIdentityProvider` (`credentials:` of any client). */
export type AwsCredentialProvider = () => Promise<AwsCredentialIdentity>

export interface AgentClient {
  /** The handle given, or, for a federated client without one, the handle of the last token ('' before). */
  readonly handle: string
  /** A handle token, signed by the broker. Cached until `refreshSkewSeconds` before it expires. */
  token(): Promise<string>
  /** A credential of one system. Cached per (system, scope set) until shortly before it expires. */
  exchange(request: ExchangeRequest): Promise<ExchangedCredential>
  /**
   * Waits for a person to decide approval `approvalId`, then returns the credential it allows.
   * Polls the token endpoint with `approval_id` (RFC 8628 style): still pending answers
   * ApprovalRequired and the poll goes on; approved mints once; denied, expired or spent
   * throws InvalidGrant. `request` must ask the same scopes as the exchange that was refused.
   */
  waitForApproval(approvalId: string, request: ExchangeRequest, options?: WaitForApprovalOptions): Promise<ExchangedCredential>
  /** AWS credentials for clients of the AWS SDK v3, exchanged again before they expire. */
  awsCredentialProvider(request: ExchangeRequest): AwsCredentialProvider
  /** Drops the cached credential of `request`, e.g. after a resource server refused it as revoked. */
  forget(request: ExchangeRequest): void
  /** The broker's issuer identifier, from its discovery document. */
  issuer(): Promise<string>
  /** A statement signed with the agent's key, checkable by anyone from the handle alone (verifyAgentStatement). */
  signStatement(payload: Record<string, unknown>): Promise<string>
  /**
   * A DPoP proof (RFC 9449 4.2) of this client's in-memory key for one request to a resource
   * server that holds `accessToken`, a credential the broker bound to that key (`token_type`
   * DPoP). Undefined when the client binds no key (`dpop: false`).
   */
  dpopProof(method: string, url: string, accessToken: string): Promise<string | undefined>
  /** Spawns a child agent within this agent's delegable ceilings (#17); needs a key or platform sign-in. */
  spawnChild(request: SpawnChildRequest): Promise<SpawnedChild>
}

/** RFC 7523 §3 wants a short assertion lifetime; the broker accepts at most 5 minutes. */
const ASSERTION_TTL_SECONDS = 60
const HANDLE_TOKEN = 'handle-token'

/**
 * Creates the agent's client. Throws TypeError at once for a key it cannot sign with. Nothing
 * is fetched until the first call; discovery is fetched once and kept (a failed fetch is
 * retried on the next call). The key is imported once.
 */
export function createAgentClient(options: AgentClientOptions): AgentClient {
  if ((options.privateKey === undefined) === (options.federated === undefined)) throw new TypeError('give exactly one of privateKey and federated')
  if (options.privateKey !== undefined) {
    if (!options.handle) throw new TypeError('handle is required')
    signingAlgorithm(options.privateKey)
  }
  let learntHandle = options.handle ?? ''
  const dpop = options.dpop === false ? undefined : createDpopProver(() => now())
  let dpopNonce: string | undefined
  const rememberNonce = (headers: Headers) => {
    dpopNonce = headers.get('dpop-nonce') ?? dpopNonce
  }
  const fetchImpl = options.fetch ?? globalThis.fetch
  const now = () => (options.clock ? options.clock.now() : new Date())
  const base = options.brokerUrl.replace(/\/+$/, '')
  // Endpoints are resolved against brokerUrl, not the discovered `token_endpoint`: a broker may
  // advertise a public name that the agent, inside the same network, cannot or should not use.
  const endpoint = (path: string) => new URL(`${base}${path}`)
  const cache = createExpiringCache<unknown>(now, (options.refreshSkewSeconds ?? 30) * 1000)

  let key: Promise<AgentKey> | undefined
  let discovery: Promise<DiscoveryDocument> | undefined
  const agentKey = () => (key ??= loadAgentKey(options.privateKey!, options.kid))
  const discover = () =>
    (discovery ??= requestJson(fetchImpl, endpoint('/.well-known/openid-configuration')).then(
      (body) => {
        if (typeof body.issuer !== 'string') throw new LanyardClientError('invalid_response', { description: 'the discovery document has no issuer' })
        return body as DiscoveryDocument
      },
    ).catch((err: unknown) => {
      discovery = undefined
      throw err
    }))

  async function assertionFor(issuer: string): Promise<string> {
    if (options.federated !== undefined) {
      const token = await options.federated({ audience: issuer })
      return (typeof token === 'string' ? token : new TextDecoder().decode(token)).trim()
    }
    const { alg, kid, key: signingKey } = await agentKey()
    const issuedAt = Math.floor(now().getTime() / 1000)
    return new SignJWT({})
      .setProtectedHeader({ alg, kid })
      .setIssuer(options.handle!)
      .setSubject(options.handle!)
      .setAudience(issuer)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ASSERTION_TTL_SECONDS)
      .setJti(crypto.randomUUID())
      .sign(signingKey)
  }

  /**
   * POST /oauth/token with a DPoP proof when binding: `htu` is the broker's announced token
   * endpoint (what the broker checks), whatever URL the agent reaches it by. A `use_dpop_nonce`
   * answer is retried once with the nonce it carries.
   */
  async function postToken(form: URLSearchParams, accessToken?: string): Promise<Record<string, unknown>> {
    const send = async () => {
      const headers: Record<string, string> = {}
      if (dpop !== undefined) {
        const { issuer, token_endpoint: announced } = await discover()
        headers.dpop = await dpop.proof('POST', typeof announced === 'string' ? announced : `${issuer}/oauth/token`, { nonce: dpopNonce, accessToken })
      }
      return requestJson(fetchImpl, endpoint('/oauth/token'), { form, headers, onHeaders: rememberNonce })
    }
    try {
      return await send()
    } catch (err) {
      if (dpop === undefined || !(err instanceof LanyardClientError) || err.error !== 'use_dpop_nonce') throw err
      return send()
    }
  }

  async function mintHandleToken(): Promise<Expiring<string>> {
    const { issuer } = await discover()
    const form = new URLSearchParams({ grant_type: GRANT_TYPE_JWT_BEARER, assertion: await assertionFor(issuer) })
    if (options.federated !== undefined && options.handle) form.set('client_id', options.handle)
    const body = await postToken(form)
    const accessToken = requireString(body, 'access_token')
    if (!options.handle) {
      const sub = decodeJwt(accessToken).sub
      if (typeof sub === 'string') learntHandle = sub
    }
    return { value: accessToken, expiresAt: expiresAt(body, now()) }
  }

  const token = () => cache.get(HANDLE_TOKEN, mintHandleToken) as Promise<string>

  async function exchangeOnce(resource: string, scopes: string[], subjectToken: string, extra: Pick<ExchangeRequest, 'approvalId' | 'reason'> = {}): Promise<Expiring<ExchangedCredential>> {
    const form = new URLSearchParams({
      grant_type: GRANT_TYPE_TOKEN_EXCHANGE,
      subject_token: subjectToken,
      subject_token_type: TOKEN_TYPE_JWT,
      resource,
    })
    if (scopes.length > 0) form.set('scope', scopes.join(' '))
    if (extra.approvalId !== undefined) form.set('approval_id', extra.approvalId)
    if (extra.reason !== undefined) form.set('reason', extra.reason)
    const body = await postToken(form, subjectToken)
    requireString(body, 'access_token')
    let until = expiresAt(body, now())
    // AWS session credentials carry their own expiry; the earlier of the two wins.
    if (isAwsMember(body.aws_credentials)) {
      const aws = new Date(body.aws_credentials.expiration)
      if (aws.getTime() < until.getTime()) until = aws
    }
    return { value: { ...(body as TokenExchangeResponse), expiresAt: until }, expiresAt: until }
  }

  /** The `resource` parameter and cache key of a request: a system's URN, or the resource itself. */
  function target(request: ExchangeRequest): { resource: string; key: string } {
    if ((request.system === undefined) === (request.resource === undefined) || (request.system ?? request.resource) === '') throw new TypeError('exactly one of system and resource is required')
    const resource = request.system === undefined ? request.resource! : `${SYSTEM_RESOURCE_PREFIX}${request.system}`
    return { resource, key: `exchange\u0000${resource}\u0000${normaliseScope(request.scope).join(' ')}` }
  }

  async function exchange(request: ExchangeRequest): Promise<ExchangedCredential> {
    const { resource, key } = target(request)
    const scopes = normaliseScope(request.scope)
    const load = async () => {
      const cached = cache.has(HANDLE_TOKEN)
      try {
        return await exchangeOnce(resource, scopes, await token(), request)
      } catch (err) {
        // A cached handle token can be dead before its `exp` (revoked via /oauth/revoke, key
        // rotated, broker signing key rolled): mint one fresh and try once more. A suspended
        // or revoked agent then fails at minting, with the broker's own reason.
        if (!(err instanceof InvalidGrant) || !cached) throw err
        cache.delete(HANDLE_TOKEN)
        return exchangeOnce(resource, scopes, await token(), request)
      }
    }
    return cache.get(key, load) as Promise<ExchangedCredential>
  }

  function awsCredentialProvider(request: ExchangeRequest): AwsCredentialProvider {
    return async () => {
      const credential = await exchange(request)
      const aws = credential.aws_credentials
      if (!isAwsMember(aws)) throw new LanyardClientError('invalid_response', { description: `the exchange for ${target(request).resource} returned no aws_credentials member` })
      return { accessKeyId: aws.access_key_id, secretAccessKey: aws.secret_access_key, sessionToken: aws.session_token, expiration: new Date(aws.expiration) }
    }
  }

  async function waitForApproval(approvalId: string, request: ExchangeRequest, waitOptions: WaitForApprovalOptions = {}): Promise<ExchangedCredential> {
    for (;;) {
      waitOptions.signal?.throwIfAborted()
      try {
        // Not through the cache: an approval mints one credential, the caller decides to keep it.
        const { value } = await exchangeOnce(target(request).resource, normaliseScope(request.scope), await token(), { approvalId })
        return value
      } catch (err) {
        if (!(err instanceof ApprovalRequired) || err.approvalId !== approvalId) throw err
        waitOptions.onWaiting?.(approvalId)
        await sleep((waitOptions.intervalSeconds ?? err.interval) * 1000, waitOptions.signal)
      }
    }
  }

  /** A bearer handle token for one /v1 call of this agent's own (the route takes no DPoP proof). */
  async function bearerHandleToken(): Promise<string> {
    const { issuer } = await discover()
    const form = new URLSearchParams({ grant_type: GRANT_TYPE_JWT_BEARER, assertion: await assertionFor(issuer) })
    if (options.federated !== undefined && options.handle) form.set('client_id', options.handle)
    const accessToken = requireString(await requestJson(fetchImpl, endpoint('/oauth/token'), { form }), 'access_token')
    if (!options.handle) learntHandle = String(decodeJwt(accessToken).sub ?? learntHandle)
    return accessToken
  }
  const spawnChild = async (request: SpawnChildRequest) => {
    const bearer = await bearerHandleToken()
    return postChild(fetchImpl, base, learntHandle, bearer, request)
  }

  const signStatement = async (payload: Record<string, unknown>) => signAgentStatement(await agentKey(), learntHandle, payload, now())

  return {
    get handle() {
      return learntHandle
    },
    token,
    exchange,
    waitForApproval,
    awsCredentialProvider,
    forget: (request) => cache.delete(target(request).key),
    issuer: async () => (await discover()).issuer,
    signStatement,
    dpopProof: async (method, url, accessToken) => dpop?.proof(method, url, { accessToken }),
    spawnChild,
  }
}

/** `"b a"`, `["a", "b", "a"]` -> `["a", "b"]`: the cache key must not depend on order or spelling. */
function normaliseScope(scope: string[] | string | undefined): string[] {
  const words = typeof scope === 'string' ? scope.split(/\s+/) : (scope ?? []).flatMap((s) => s.split(/\s+/))
  return [...new Set(words.filter(Boolean))].sort()
}

/** `expires_in` is RECOMMENDED, not required (RFC 6749 §5.1): without it nothing is cached. */
function expiresAt(body: Record<string, unknown>, issuedAt: Date): Date {
  const seconds = typeof body.expires_in === 'number' && Number.isFinite(body.expires_in) ? body.expires_in : 0
  return new Date(issuedAt.getTime() + seconds * 1000)
}

function requireString(body: Record<string, unknown>, member: string): string {
  const value = body[member]
  if (typeof value !== 'string' || value === '') throw new LanyardClientError('invalid_response', { description: `the token response has no ${member}` })
  return value
}

function isAwsMember(value: unknown): value is AwsCredentialsMember {
  return (
    isRecord(value) &&
    typeof value.access_key_id === 'string' &&
    typeof value.secret_access_key === 'string' &&
    typeof value.session_token === 'string' &&
    typeof value.expiration === 'string' &&
    !Number.isNaN(Date.parse(value.expiration))
  )
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop)
      resolve()
    }, ms)
    const stop = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', stop, { once: true })
  })
}
