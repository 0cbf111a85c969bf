import { createPrivateKey, webcrypto } from 'node:crypto'
import type { JsonWebKey, KeyObject } from 'node:crypto'
import { LanyardError, UpstreamRefused, UpstreamUnavailable, parseRetryAfter } from '@lanyard/connector-sdk'
import type { ConnectorHost, Health } from '@lanyard/connector-sdk'
import * as oidc from 'openid-client'
import type { OAuthClientConfig, OAuthConfig } from './config.js'

/**
 * openid-client, composed for one system: server metadata (discovered once, or given), one
 * `Configuration` per call so each call carries its own AbortSignal, client authentication
 * from config, and the one switch that turns whatever openid-client throws into the SDK's
 * errors. Every HTTP request goes through `host.fetch`.
 */
export interface OAuthClient {
  readonly system: string
  readonly config: OAuthConfig
  readonly host: ConnectorHost
  /** The configured client, or undefined when the system has none by that id. */
  client(clientId: string): OAuthClientConfig | undefined
  /** Metadata from discovery, cached after the first success; a failure is not cached. */
  metadata(signal: AbortSignal): Promise<oidc.ServerMetadata>
  /** Metadata fetched now, bypassing the cache (health). */
  freshMetadata(signal: AbortSignal): Promise<oidc.ServerMetadata>
  configuration(client: OAuthClientConfig, signal: AbortSignal): Promise<oidc.Configuration>
  /**
   * Runs one request. `idempotent`: retried once on a transient failure without an answer
   * (discovery, introspection, revocation: a reset connection, a timeout is not repeated). `unsent`: retried once only when the connection was refused, so
   * the server cannot have seen the first attempt: a token request that may have reached the
   * server is never repeated, or a second token could be minted and never recorded.
   */
  call<T>(retry: 'idempotent' | 'unsent', signal: AbortSignal, request: () => Promise<T>): Promise<T>
}

export function createOAuthClient(config: OAuthConfig, host: ConnectorHost): OAuthClient {
  const system = host.system
  const clients = new Map(config.clients.map((client) => [client.clientId, client]))
  const auths = new Map<string, Promise<oidc.ClientAuth>>()
  let cached: Promise<oidc.ServerMetadata> | undefined

  const boundFetch = (signal: AbortSignal): oidc.CustomFetch => (url, options) =>
    host.fetch(url, { ...(options as RequestInit), signal: options.signal ? AbortSignal.any([signal, options.signal]) : signal })

  const call: OAuthClient['call'] = async (retry, signal, request) => {
    try {
      return await request()
    } catch (first) {
      const error = upstreamError(system, first, signal, host.clock.now())
      // A server that answered "not now" (429, 503, an OAuth error) is not asked again at once:
      // its Retry-After, or the caller's backoff, decides when.
      const again = retry === 'idempotent' ? error instanceof UpstreamUnavailable && error.answer === undefined && !isTimeout(first) : connectionRefused(first)
      if (!again || signal.aborted) throw error
    }
    try {
      return await request()
    } catch (second) {
      throw upstreamError(system, second, signal, host.clock.now())
    }
  }

  const discover = async (signal: AbortSignal): Promise<oidc.ServerMetadata> => {
    // (1) explicit endpoints: no request at all.
    if (config.endpoints) {
      const { token, revocation, introspection } = config.endpoints
      return {
        issuer: config.issuer,
        token_endpoint: token,
        ...(revocation ? { revocation_endpoint: revocation } : {}),
        ...(introspection ? { introspection_endpoint: introspection } : {}),
      }
    }
    // (2) discovery; openid-client checks that the document names the configured issuer.
    const found = await call('idempotent', signal, () =>
      oidc.discovery(new URL(config.issuer), 'lanyard-discovery', undefined, oidc.None(), {
        algorithm: config.discovery === 'rfc8414' ? 'oauth2' : 'oidc',
        timeout: config.timeoutMs / 1000,
        [oidc.customFetch]: boundFetch(signal),
        execute: config.allowInsecureUpstreamHttp ? [oidc.allowInsecureRequests] : [],
      }),
    )
    return { ...found.serverMetadata() }
  }

  return {
    system,
    config,
    host,
    client: (clientId) => clients.get(clientId),
    metadata(signal) {
      cached ??= discover(signal).catch((error: unknown) => {
        cached = undefined
        throw error
      })
      return cached
    },
    freshMetadata: discover,
    async configuration(client, signal) {
      let auth = auths.get(client.clientId)
      if (!auth) {
        auth = clientAuth(client)
        auths.set(client.clientId, auth)
      }
      const configuration = new oidc.Configuration(await this.metadata(signal), client.clientId, undefined, await auth)
      configuration[oidc.customFetch] = boundFetch(signal)
      configuration.timeout = config.timeoutMs / 1000
      if (config.allowInsecureUpstreamHttp) oidc.allowInsecureRequests(configuration)
      return configuration
    },
    call,
  }
}

/** Reachable now? Discovery answers; with explicit endpoints, the token endpoint answers at all. */
export async function checkHealth(oauth: OAuthClient, signal: AbortSignal): Promise<Health> {
  try {
    const token = oauth.config.endpoints?.token
    if (token) {
      const { status } = await oauth.call('idempotent', signal, () => oauth.host.fetch(token, { method: 'GET', signal }))
      if (status >= 500) return { ok: false, detail: `HTTP ${status}` }
    } else {
      await oauth.freshMetadata(signal)
    }
    return { ok: true }
  } catch (error) {
    const failure = upstreamError(oauth.system, error, signal, oauth.host.clock.now())
    return { ok: false, detail: failure.detail ?? failure.message }
  }
}

async function clientAuth(client: OAuthClientConfig): Promise<oidc.ClientAuth> {
  switch (client.auth) {
    case 'client_secret_basic':
      return oidc.ClientSecretBasic(client.clientSecret.reveal())
    case 'client_secret_post':
      return oidc.ClientSecretPost(client.clientSecret.reveal())
    case 'private_key_jwt': {
      const keyObject = parsePrivateKey(client.privateKey.reveal())
      const der = keyObject.export({ type: 'pkcs8', format: 'der' })
      // Non-extractable: once imported, the key cannot be read back out of the CryptoKey.
      const key = await webcrypto.subtle.importKey('pkcs8', der, signingAlgorithm(keyObject, client.alg), false, ['sign'])
      return oidc.PrivateKeyJwt(client.keyId ? { key, kid: client.keyId } : key)
    }
  }
}

/**
 * A PKCS#8 PEM or a private JWK. Throws a fixed message: parser errors can quote their input,
 * and the input is a private key.
 */
export function parsePrivateKey(text: string): KeyObject {
  let key: KeyObject
  try {
    const trimmed = text.trim()
    key = trimmed.startsWith('{') ? createPrivateKey({ key: JSON.parse(trimmed) as JsonWebKey, format: 'jwk' }) : createPrivateKey(trimmed)
  } catch {
    throw new TypeError('not a PKCS#8 PEM or a private JWK')
  }
  signingAlgorithm(key, undefined)
  return key
}

type SigningAlgorithm = webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams | webcrypto.Algorithm

function signingAlgorithm(key: KeyObject, alg: string | undefined): SigningAlgorithm {
  const curve = key.asymmetricKeyDetails?.namedCurve
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return alg === 'PS256' ? { name: 'RSA-PSS', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
    case 'ec':
      if (curve === 'prime256v1') return { name: 'ECDSA', namedCurve: 'P-256' }
      if (curve === 'secp384r1') return { name: 'ECDSA', namedCurve: 'P-384' }
      break
    case 'ed25519':
      return { name: 'Ed25519' }
  }
  throw new TypeError('unsupported key type: use RSA, EC P-256/P-384 or Ed25519')
}

/** RFC 6749 5.2 and RFC 8707 / 9449 codes, each with what it means for the operator. */
const refusals: Record<string, string> = {
  invalid_client: 'invalid_client: the server rejected the client credentials',
  unauthorized_client: 'unauthorized_client: the client may not use the client-credentials grant',
  invalid_scope: 'invalid_scope: the server refused a requested scope',
  invalid_target: 'invalid_target: the server refused the resource indicator',
  invalid_grant: 'invalid_grant: the server refused the grant',
  invalid_request: 'invalid_request: the server found the request malformed',
  unsupported_grant_type: 'unsupported_grant_type: the server does not offer the client-credentials grant',
  unsupported_token_type: 'unsupported_token_type: the server cannot revoke this kind of token',
  invalid_dpop_proof: 'invalid_dpop_proof: the server refused the DPoP proof',
  use_dpop_nonce: 'use_dpop_nonce: the server wants a DPoP nonce',
  access_denied: 'access_denied: the server denied the request',
}

/** The OAuth `error` code of a refusal, from the body or from a 401 challenge; undefined otherwise. */
export function oauthErrorCode(error: unknown): string | undefined {
  if (error instanceof oidc.ResponseBodyError) return error.error
  if (error instanceof oidc.WWWAuthenticateChallengeError) {
    const code = error.cause[0]?.parameters.error
    return typeof code === 'string' ? code : 'invalid_client'
  }
  return undefined
}

/**
 * The one translation from openid-client (and fetch) to the SDK's errors. Messages carry the
 * OAuth error code only when it is a registered one, never `error_description` or any other
 * part of the upstream body; no `cause` is attached, so nothing upstream sent reaches a log.
 */
export function upstreamError(system: string, error: unknown, signal: AbortSignal, now: Date): LanyardError {
  // (1) Already ours (a check of this connector).
  if (error instanceof LanyardError) return error
  // (2) The caller gave up: whatever happened on the wire, this call is over.
  if (signal.aborted) return new UpstreamUnavailable(system, { detail: 'aborted by the caller' })
  // (3) The server answered with an OAuth error. 429 and 503 are "not now", whatever the body
  //     says (`slow_down`, `temporarily_unavailable`, or a code of the server's own): retryable,
  //     with the server's Retry-After.
  const code = oauthErrorCode(error)
  if (code !== undefined) {
    const status = (error as { status: number }).status
    if (status >= 500 || status === 429 || code === 'server_error' || code === 'temporarily_unavailable' || code === 'slow_down') {
      const answer = `HTTP ${status} ${refusals[code] || retryableCodes.has(code) ? code : 'server_error'}`
      return unavailable(system, answer, (error as { response?: unknown }).response, now)
    }
    return new UpstreamRefused(system, refusals[code] ?? 'the server refused the request', { detail: `HTTP ${status}` })
  }
  // (4) openid-client's own checks of the exchange.
  if (error instanceof oidc.ClientError) {
    if (error.code === 'OAUTH_TIMEOUT' || error.code === 'OAUTH_ABORT') return new UpstreamUnavailable(system, { detail: 'timed out' })
    const status = error.cause instanceof Response ? error.cause.status : undefined
    if (status !== undefined && (status >= 500 || status === 429)) return unavailable(system, `HTTP ${status}`, error.cause, now)
    return new UpstreamRefused(system, 'the server answered outside the OAuth protocol', {
      detail: `${error.code ?? 'ClientError'}${status === undefined ? '' : ` HTTP ${status}`}`,
    })
  }
  // (5) No answer at all: refused, reset, DNS.
  if (error instanceof TypeError) return new UpstreamUnavailable(system, { detail: `network: ${networkCode(error) ?? 'fetch failed'}` })
  // (6) Anything else is not understood, so not trusted as final.
  return new UpstreamUnavailable(system, { detail: `unexpected ${error instanceof Error ? error.name : typeof error}` })
}

/** OAuth codes that mean "try again later" (RFC 6749 5.2, RFC 8628 3.5). */
const retryableCodes = new Set(['server_error', 'temporarily_unavailable', 'slow_down'])

/** UpstreamUnavailable carrying the status and code as its answer, and the Retry-After header. */
function unavailable(system: string, answer: string, response: unknown, now: Date): UpstreamUnavailable {
  const retryAfterMs = response instanceof Response ? parseRetryAfter(response.headers.get('retry-after'), now) : undefined
  return new UpstreamUnavailable(system, { answer, ...(retryAfterMs === undefined ? {} : { retryAfterMs, detail: `${answer}, retry after ${retryAfterMs} ms` }) })
}

function networkCode(error: TypeError): string | undefined {
  const code = (error.cause as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? code : undefined
}

function connectionRefused(error: unknown): boolean {
  return error instanceof TypeError && networkCode(error) === 'ECONNREFUSED'
}

function isTimeout(error: unknown): boolean {
  return error instanceof oidc.ClientError && error.code === 'OAUTH_TIMEOUT'
}
