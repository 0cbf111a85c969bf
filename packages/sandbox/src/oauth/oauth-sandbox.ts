import { randomBytes } from 'node:crypto'
import { exportJWK, generateKeyPair, jwtVerify } from 'jose'
import type { JWK } from 'jose'
import Provider, { errors } from 'oidc-provider'
import type { Configuration, ProviderClient, ProviderToken, ResourceServerInfo } from 'oidc-provider'
import { openFaultGate } from './fault-gate.js'
import { createTokenStore } from './token-store.js'
import type { GateMode, ThrottleAnswer } from './fault-gate.js'

/** How a client authenticates at the token, introspection and revocation endpoints. */
export type OAuthSandboxClientAuth = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt'

export interface OAuthSandboxClient {
  clientId: string
  auth: OAuthSandboxClientAuth
  /** Required for the two client_secret methods. */
  clientSecret?: string
  /** Public keys; required for private_key_jwt. */
  jwks?: { keys: JWK[] }
  /** Scopes this client may ask for; omitted = every scope of the sandbox. */
  scopes?: string[]
  /** Resource indicators this client may ask for; omitted = every resource of the sandbox. */
  resources?: string[]
  /** Tokens must be DPoP-bound (RFC 9449 `dpop_bound_access_tokens`). */
  dpopBound?: boolean
  /**
   * Scopes written into every JWT access token of this client, asked or not, as Keycloak adds
   * a client's default client scopes (`profile`, `email`, ...).
   */
  defaultScopes?: string[]
}

export interface OAuthSandboxResource {
  /** Scopes this resource server understands; a subset of the sandbox's `scopes`. */
  scopes: string[]
  /** `aud` of its tokens; defaults to the resource indicator itself (RFC 8707). */
  audience?: string
  /**
   * `jwt` (RFC 9068, the default) or `opaque`. oidc-provider does not store JWT access tokens:
   * a resource server validates them alone, so the authorization server can neither
   * introspect (it answers `active: false`) nor revoke them. Opaque tokens are stored, so
   * introspection and revocation see them.
   */
  accessTokenFormat?: 'jwt' | 'opaque'
  accessTokenTtlSeconds?: number
  /**
   * JWT access tokens only: the server also remembers each one, as Okta and Keycloak do, so
   * introspection answers `active` for it and RFC 7009 revocation makes it answer `inactive`.
   * A resource server that validates the JWT alone still accepts it until `exp`: `inspect()`
   * keeps saying so, as such a resource server would.
   */
  rememberJwt?: boolean
  /**
   * JWTs only: no `scope` claim at all, as Entra ID v2 issues app-only tokens (`roles`, no
   * `scp`). The token response still names the scope granted.
   */
  omitScopeClaim?: boolean
}

export interface OAuthSandboxOptions {
  clients: OAuthSandboxClient[]
  /** Every scope the server knows. */
  scopes: string[]
  /** Keyed by resource indicator (an absolute URI, RFC 8707). */
  resources: Record<string, OAuthSandboxResource>
  /** Lifetime of tokens whose resource sets none. Default 600, oidc-provider's own. */
  accessTokenTtlSeconds?: number
  /** Endpoints to enable; both default to true. Turn one off to play a server without it. */
  introspection?: boolean
  revocation?: boolean
  /**
   * Keep-alive connections. Off by default: one connection per request keeps `down()` from
   * racing a pooled socket in tests. On for benchmarks, where a peer must not be handicapped.
   */
  keepAlive?: boolean
  /**
   * oidc-provider's storage adapter (its `adapter` option: a class constructed per model name);
   * default its in-memory one. Benchmarks pass a durable one to compare like with like.
   */
  adapter?: new (model: string) => unknown
}

/** What a resource server sees when shown a token: the oracle for "does this credential work". */
export type TokenInspection =
  | { active: false }
  | {
      active: true
      format: 'jwt' | 'opaque'
      clientId: string
      scopes: string[]
      audience: string[]
      expiresAt: Date
      jti?: string
      /** RFC 7638 thumbprint of the DPoP key the token is bound to. */
      jkt?: string
    }

/** One token the server handed out, as its own events report it. Never the token itself. */
export interface IssuedTokenRecord {
  clientId: string
  format: 'jwt' | 'opaque'
  scopes: string[]
  audience: string[]
  expiresAt: Date
  /** Only for JWTs: an opaque token's jti is the token. */
  jti?: string
  /** The server destroyed it (RFC 7009 revocation of a stored token). */
  revoked: boolean
}

export interface OAuthSandbox {
  /** `http://127.0.0.1:PORT`; discovery at `${issuer}/.well-known/openid-configuration`. */
  readonly issuer: string
  readonly url: string
  /** Validate a token as a resource server would: JWTs by signature, opaque ones by lookup. */
  inspect(token: string): Promise<TokenInspection>
  /** Every token issued so far, in order. */
  issuedTokens(): readonly IssuedTokenRecord[]
  /** `refuse`: nothing listens on the port; `unavailable`: every request answers 503. */
  down(mode?: Exclude<GateMode, 'up' | 'throttled'>): Promise<void>
  /**
   * Every request answers as a rate-limited server: 429 (or 503) with `{"error":"slow_down"}`
   * and the given Retry-After, until `up()`.
   */
  throttle(answer?: ThrottleAnswer): Promise<void>
  /** Requests the server turned away while down (503) or throttled. */
  readonly refused: number
  /** Add latency before each request reaches the server; 0 removes it. */
  slow(latencyMs: number): void
  /** Listening again, no latency. */
  up(): Promise<void>
  close(): Promise<void>
}

/**
 * Start oidc-provider (a certified OpenID Provider) on 127.0.0.1, on an ephemeral port, for
 * the client-credentials grant with resource indicators, introspection and revocation. Its
 * behaviour is configured, never patched: a test that needs it to behave otherwise is wrong.
 */
export async function startOAuthSandbox(options: OAuthSandboxOptions): Promise<OAuthSandbox> {
  checkOptions(options)
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  const signingJwk = { ...(await exportJWK(privateKey)), kid: 'sandbox-rs256', alg: 'RS256', use: 'sig' }

  let handler: ReturnType<Provider['callback']> | undefined
  const gate = await openFaultGate(() => handler!, { keepAlive: options.keepAlive === true })
  const issuer = `http://127.0.0.1:${gate.port}`
  const tokens = createTokenStore({ issuer: () => issuer, publicKey })
  const provider = new Provider(issuer, { ...providerConfiguration(options, signingJwk), adapter: tokens.Adapter as never })
  handler = provider.callback()
  // Audiences whose JWTs the server remembers (`rememberJwt`).
  const remembered = new Set(Object.entries(options.resources).filter(([, r]) => r.rememberJwt).map(([indicator, r]) => r.audience ?? indicator))

  const records: IssuedTokenRecord[] = []
  const byJti = new Map<string, IssuedTokenRecord>()
  const record = (format: 'jwt' | 'opaque') => (token: IssuedToken) => {
    const entry: IssuedTokenRecord = {
      clientId: token.clientId,
      format,
      scopes: splitScope(token.scope),
      audience: toArray(token.aud),
      expiresAt: new Date(token.exp * 1000),
      ...(format === 'jwt' ? { jti: token.jti } : {}),
      revoked: false,
    }
    records.push(entry)
    byJti.set(token.jti, entry)
  }
  provider.on('client_credentials.saved', record('opaque'))
  provider.on('client_credentials.issued', (token: IssuedToken) => {
    record('jwt')(token)
    if (!toArray(token.aud).some((aud) => remembered.has(aud))) return
    // What oidc-provider would store for an opaque token (its IN_PAYLOAD members), by jti.
    const members = (provider.ClientCredentials as unknown as { IN_PAYLOAD: string[] }).IN_PAYLOAD
    const fields = token as unknown as Record<string, unknown>
    const payload: Record<string, unknown> = { iat: token.iat, exp: token.exp }
    for (const member of members) if (member !== 'format' && fields[member] !== undefined) payload[member] = fields[member]
    tokens.remember('ClientCredentials', token.jti, payload, token.exp - Math.floor(Date.now() / 1000))
  })
  provider.on('client_credentials.destroyed', (token: ProviderToken) => {
    const entry = byJti.get(token.jti)
    if (entry) entry.revoked = true
  })

  return {
    issuer,
    url: issuer,
    async inspect(token) {
      if (token.split('.').length === 3) {
        try {
          // What RFC 9068 asks of a resource server: signature, issuer, typ, expiry.
          const { payload } = await jwtVerify(token, publicKey, { issuer, typ: 'at+jwt', algorithms: ['RS256'] })
          const cnf = payload['cnf'] as { jkt?: string } | undefined
          return {
            active: true,
            format: 'jwt',
            clientId: String(payload['client_id']),
            scopes: splitScope(payload['scope'] as string | undefined),
            audience: toArray(payload.aud),
            expiresAt: new Date((payload.exp ?? 0) * 1000),
            ...(payload.jti ? { jti: payload.jti } : {}),
            ...(cnf?.jkt ? { jkt: cnf.jkt } : {}),
          }
        } catch {
          return { active: false }
        }
      }
      // An opaque token means only what the server's store says: look it up as a resource
      // server sharing the store would (panva's advice for co-located APIs).
      const found = await provider.ClientCredentials.find(token)
      if (!found || !found.isValid) return { active: false }
      return {
        active: true,
        format: 'opaque',
        clientId: found.clientId,
        scopes: splitScope(found.scope),
        audience: toArray(found.aud),
        expiresAt: new Date(found.exp * 1000),
        ...(found.jkt ? { jkt: found.jkt } : {}),
      }
    },
    issuedTokens: () => records.map((entry) => ({ ...entry })),
    down: (mode = 'refuse') => gate.setMode(mode),
    async throttle(answer = {}) {
      gate.setThrottle(answer)
      await gate.setMode('throttled')
    },
    get refused() {
      return gate.refused
    },
    slow: (latencyMs) => gate.setLatency(latencyMs),
    async up() {
      gate.setLatency(0)
      await gate.setMode('up')
    },
    close: () => gate.close(),
  }
}

interface IssuedToken extends ProviderToken {
  scope?: string
  aud?: string | string[]
  iat: number
  exp: number
}

function providerConfiguration(options: OAuthSandboxOptions, signingJwk: Record<string, unknown>): Configuration {
  const defaultTtlSeconds = options.accessTokenTtlSeconds ?? 600
  const clients = new Map(options.clients.map((client) => [client.clientId, client]))
  return {
    clients: options.clients.map(clientMetadata),
    scopes: options.scopes,
    jwks: { keys: [signingJwk] },
    ...(options.adapter === undefined ? {} : { adapter: options.adapter }),
    // Cookies sign nothing here (no interactive flows), but oidc-provider warns without keys.
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      dPoP: { enabled: true },
      introspection: {
        enabled: options.introspection ?? true,
        // RFC 7662 leaves the policy to the server; this one lets a client see its own tokens only.
        allowedPolicy: async (_ctx: unknown, client: ProviderClient, token: ProviderToken) =>
          client.clientId === token.clientId,
      },
      revocation: { enabled: options.revocation ?? true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        useGrantedResource: async () => false,
        // The recommended policy: only resources known to the server, and only those the
        // client was registered for.
        getResourceServerInfo: async (_ctx: unknown, indicator: string, client: ProviderClient) => {
          const resource = options.resources[indicator]
          const allowed = clients.get(client.clientId)?.resources
          if (!resource || (allowed && !allowed.includes(indicator))) {
            throw new errors.InvalidTarget()
          }
          const info: ResourceServerInfo = {
            scope: resource.scopes.join(' '),
            accessTokenFormat: resource.accessTokenFormat ?? 'jwt',
            accessTokenTTL: resource.accessTokenTtlSeconds ?? defaultTtlSeconds,
          }
          if (resource.audience) info.audience = resource.audience
          if (info.accessTokenFormat === 'jwt') info.jwt = { sign: { alg: 'RS256' } }
          return info
        },
      },
    },
    ttl: {
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? defaultTtlSeconds,
    },
    formats: {
      customizers: {
        // Keycloak's default client scopes and Entra's scope-less app tokens: what the server
        // writes in the JWT, whatever was asked.
        jwt: async (_ctx: unknown, token: { clientId: string; aud?: string | string[] }, jwt: { payload: Record<string, unknown> }) => {
          const added = clients.get(token.clientId)?.defaultScopes ?? []
          if (added.length > 0) jwt.payload['scope'] = [...new Set([...splitScope(jwt.payload['scope'] as string | undefined), ...added])].join(' ')
          const omit = toArray(token.aud).some((aud) => Object.entries(options.resources).some(([indicator, r]) => r.omitScopeClaim && (r.audience ?? indicator) === aud))
          if (omit) delete jwt.payload['scope']
        },
      },
    },
  }
}

function clientMetadata(client: OAuthSandboxClient): Record<string, unknown> {
  return {
    client_id: client.clientId,
    token_endpoint_auth_method: client.auth,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    ...(client.clientSecret !== undefined ? { client_secret: client.clientSecret } : {}),
    ...(client.jwks ? { jwks: client.jwks } : {}),
    ...(client.scopes ? { scope: client.scopes.join(' ') } : {}),
    ...(client.dpopBound ? { dpop_bound_access_tokens: true } : {}),
  }
}

/** Mistakes in the sandbox's own config fail at start, naming the field. */
function checkOptions(options: OAuthSandboxOptions): void {
  const problems: string[] = []
  const known = new Set(options.scopes)
  const ids = new Set<string>()
  for (const [indicator, resource] of Object.entries(options.resources)) {
    if (!URL.canParse(indicator)) problems.push(`resources["${indicator}"]: not an absolute URI`)
    for (const scope of resource.scopes) {
      if (!known.has(scope)) problems.push(`resources["${indicator}"].scopes: "${scope}" is not in scopes`)
    }
  }
  options.clients.forEach((client, i) => {
    if (ids.has(client.clientId)) problems.push(`clients[${i}].clientId: duplicate "${client.clientId}"`)
    ids.add(client.clientId)
    if (client.auth === 'private_key_jwt' ? !client.jwks : !client.clientSecret) {
      problems.push(`clients[${i}]: ${client.auth} needs ${client.auth === 'private_key_jwt' ? 'jwks' : 'clientSecret'}`)
    }
    for (const scope of client.scopes ?? []) {
      if (!known.has(scope)) problems.push(`clients[${i}].scopes: "${scope}" is not in scopes`)
    }
    for (const indicator of client.resources ?? []) {
      if (!(indicator in options.resources)) problems.push(`clients[${i}].resources: "${indicator}" is not in resources`)
    }
  })
  if (problems.length > 0) throw new TypeError(`invalid OAuth sandbox options:\n${problems.join('\n')}`)
}

function splitScope(scope: string | undefined): string[] {
  return scope ? scope.split(' ').filter(Boolean) : []
}

function toArray(value: string | string[] | undefined): string[] {
  if (value === undefined) return []
  return Array.isArray(value) ? value : [value]
}
