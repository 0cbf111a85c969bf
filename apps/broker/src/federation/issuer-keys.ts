import { IssuerUnavailable, type Clock, type FederationIssuer, type IssuerKeys, type Logger } from '@lanyard/core'
import { createRemoteJWKSet, customFetch, errors as joseErrors, type JWTVerifyGetKey } from 'jose'

/** One `federation.issuers[]` entry as the broker holds it: the core view plus where its keys are. */
export interface ConfiguredIssuer extends FederationIssuer {
  /** Skips discovery when set (an issuer whose discovery is not reachable from the broker). */
  readonly jwksUri?: string
}

export interface IssuerKeySettings {
  /** Each outbound call (discovery, JWKS) is aborted after this long. Below 5 s so that a 503 comes within 5 s. */
  readonly timeoutMs: number
  /** Keys fetched this long ago are still used without asking the issuer (jose `cacheMaxAge`). */
  readonly cacheMaxAgeMs: number
  /** An unknown `kid` refetches the JWKS at most this often (jose `cooldownDuration`). */
  readonly cooldownMs: number
  /** After a failed fetch, the issuer is not asked again for this long: callers get 503 at once. */
  readonly failureBackoffMs: number
  /** Largest discovery document or JWKS read; a bigger body is refused unread. */
  readonly maxBodyBytes: number
  /** Plain-http key locations: local stand-ins only (`sandbox: true`). */
  readonly allowHttp: boolean
}

/**
 * Reads at most `maxBytes` of a response body: an issuer's answer is input, and a hostile or
 * broken one must not make the broker buffer without bound.
 */
async function boundedJson(response: Response, maxBytes: number): Promise<unknown> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > maxBytes) throw new Error(`body declared ${declared} bytes, above ${maxBytes}`)
  const reader = response.body?.getReader()
  if (reader === undefined) throw new Error('no body')
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw new Error(`body larger than ${maxBytes} bytes`)
    }
    chunks.push(value)
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

/**
 * The IssuerKeys port on jose's remote JWKS: keys found by OIDC discovery (or `jwksUri`),
 * cached for `cacheMaxAgeMs`, refetched on an unknown `kid` at most every `cooldownMs`, every
 * fetch bounded in time and size, redirects not followed. Only configured issuers are ever
 * asked: core calls `keysOf` for an `iss` that matched the configuration exactly.
 *
 * Issuer down: (1) keys still within their cache age verify as usual, no call made; (2) past
 * it, one fetch is tried (concurrent callers share it, jose dedupes) and fails within
 * `timeoutMs`; (3) for `failureBackoffMs` after a failure every caller gets IssuerUnavailable at
 * once, so a down issuer sees one attempt per backoff period, not one per request.
 */
export function createIssuerKeys(deps: { issuers: readonly ConfiguredIssuer[]; settings: IssuerKeySettings; clock: Clock; log: Logger; fetch?: typeof fetch }): IssuerKeys {
  const { settings, clock, log } = deps
  const fetchImpl = deps.fetch ?? globalThis.fetch
  const byIssuer = new Map(deps.issuers.map((issuer) => [issuer.issuer, issuer]))
  const state = new Map<string, { jwks?: JWTVerifyGetKey; downUntil: number }>()

  /** Fetch bounded in time (the caller's signal) and body size, never following a redirect. */
  const boundedFetch: typeof fetch = async (input, init) => {
    const response = await fetchImpl(input, { ...init, redirect: 'manual' })
    if (response.status !== 200) return new Response(null, { status: response.status })
    const body = await boundedJson(response, settings.maxBodyBytes)
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } })
  }

  async function discover(issuer: ConfiguredIssuer): Promise<URL> {
    if (issuer.jwksUri !== undefined) return new URL(issuer.jwksUri)
    const response = await boundedFetch(`${issuer.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(settings.timeoutMs) })
    if (response.status !== 200) throw new Error(`discovery answered ${response.status}`)
    const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown }
    // OpenID Discovery 4.3: the document's issuer must be the one asked for, exactly.
    if (document.issuer !== issuer.issuer) throw new Error('discovery document names another issuer')
    if (typeof document.jwks_uri !== 'string') throw new Error('discovery document has no jwks_uri')
    const jwksUri = new URL(document.jwks_uri)
    // Keys fetched over plain http could be swapped on the way, whoever the issuer is.
    if (jwksUri.protocol !== 'https:' && !(settings.allowHttp && jwksUri.protocol === 'http:')) throw new Error('discovery names a jwks_uri that is not https')
    return jwksUri
  }

  function unavailable(issuer: string, error: unknown): IssuerUnavailable {
    const entry = state.get(issuer)
    if (entry !== undefined) entry.downUntil = clock.now().getTime() + settings.failureBackoffMs
    const detail = error instanceof Error ? error.message : String(error)
    log.warn({ issuer, err: detail }, 'federation issuer keys could not be fetched')
    return new IssuerUnavailable(issuer, { detail })
  }

  return {
    keysOf(configured) {
      const issuer = byIssuer.get(configured.issuer)
      if (issuer === undefined) throw new IssuerUnavailable(configured.issuer, { detail: 'not configured' })
      return async (header, token) => {
        let entry = state.get(issuer.issuer)
        if (entry === undefined) state.set(issuer.issuer, (entry = { downUntil: 0 }))
        const jwks = entry.jwks
        // (3) Backing off, and nothing cached that is still fresh: refuse without calling out.
        const fresh = jwks !== undefined && (jwks as unknown as { fresh: boolean }).fresh
        if (!fresh && clock.now().getTime() < entry.downUntil) throw new IssuerUnavailable(issuer.issuer, { detail: 'backing off after a failed fetch' })
        try {
          if (entry.jwks === undefined) {
            entry.jwks = createRemoteJWKSet(await discover(issuer), {
              timeoutDuration: settings.timeoutMs,
              cooldownDuration: settings.cooldownMs,
              cacheMaxAge: settings.cacheMaxAgeMs,
              [customFetch]: boundedFetch,
            })
          }
          return await entry.jwks(header, token)
        } catch (error) {
          // A key the issuer does not publish, or of a type jose cannot use, is the token's fault.
          if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys || error instanceof joseErrors.JOSENotSupported) throw error
          throw unavailable(issuer.issuer, error)
        }
      }
    },
  }
}
