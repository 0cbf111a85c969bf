import type { StandardSchemaV1 } from './standard-schema.js'
import type { Clock } from './clock.js'
import type { Mutex } from './mutex.js'
import type { RevokeOutcome } from '../revocation/revocation.js'

/** A set of scope items, e.g. `contents:read`, `repo:api`, `s3:GetObject`. */
export type ScopeSet = readonly string[]

/** Every scope a system knows. Anything it does not know is ScopeUnknown. */
export interface ScopeCatalogue {
  /** True when `scope` is a well-formed item of this system (names may be open-ended). */
  isKnown(scope: string): boolean
  /** A few examples for error messages and docs. */
  readonly examples: readonly string[]
}

/** Minimal structured logger (pino-compatible). Never pass secrets or tokens to it. */
export interface Logger {
  debug(fields: Record<string, unknown>, message?: string): void
  info(fields: Record<string, unknown>, message?: string): void
  warn(fields: Record<string, unknown>, message?: string): void
  error(fields: Record<string, unknown>, message?: string): void
}

/** Signs tokens with the broker's keys (published at /.well-known/jwks.json). */
export interface BrokerSigner {
  /** The broker's issuer identifier (`iss` of everything it signs). */
  readonly issuer: string
  /**
   * Mints a short-lived OIDC ID token for an agent, e.g. for AWS AssumeRoleWithWebIdentity.
   * `alg` RS256 (default) or ES256; the key is in the broker's JWKS.
   */
  signIdToken(claims: { sub: string; aud: string; ttlSeconds: number; extra?: Record<string, unknown> }, alg?: 'RS256' | 'ES256'): Promise<string>
  /**
   * Mints an RFC 9068 JWT access token (`typ: at+jwt`) for a resource server that trusts the
   * broker as its authorization server (an MCP server). `jti` names the token for whois,
   * introspection and revocation. Optional: hosts older than this member lack it, and a
   * connector that needs it refuses to start without it.
   */
  signAccessToken?(claims: AccessTokenClaims, alg?: 'RS256' | 'ES256'): Promise<string>
  /**
   * Records an access token the broker signed as revoked until it expires, so introspection
   * answers inactive, and tells every resource server subscribed to the broker's revocation
   * events. Idempotent. Present whenever `signAccessToken` is.
   */
  revokeAccessToken?(token: { readonly jti: string; readonly sub: string; readonly aud: string; readonly expiresAt: Date }): Promise<void>
}

/** The claims of an RFC 9068 access token, beside `iss`, `iat` and `exp` the signer sets. */
export interface AccessTokenClaims {
  /** The handle. */
  readonly sub: string
  /** The resource server's URL (RFC 8707 resource indicator). */
  readonly aud: string
  readonly jti: string
  /** Space-separated scopes (RFC 9068 2.2.3). */
  readonly scope: string
  readonly clientId: string
  readonly ttlSeconds: number
  /** RFC 8693 4.1 actor, when the handle acts for another party. */
  readonly act?: { readonly sub: string }
  /** RFC 9449 6.1: the token is DPoP-bound to the key with this RFC 7638 thumbprint (`cnf.jkt`). */
  readonly jkt?: string
}

/** What the broker lends. Connectors read no env, no files, no globals, no wall clock. */
export interface ConnectorHost {
  /** The system name from lanyard.yaml (`github-acme`). */
  readonly system: string
  readonly log: Logger
  readonly clock: Clock
  readonly fetch: typeof fetch
  readonly signer: BrokerSigner
  /**
   * True only in a sandbox deployment (`sandbox: true` + `upstream.allowInsecureUpstreamHttp`).
   * Otherwise a connector refuses `http://` upstream URLs (openid-client's allowInsecureRequests).
   */
  readonly allowInsecureUpstreamHttp?: boolean
  /**
   * Exclusion among every replica of the deployment, for upstream state a connector reads,
   * changes and writes back whole (AWS: a role's revocation policy). Keys are global: prefix
   * them with the connector's type.
   */
  readonly mutex: Mutex
}

/** What the connector stores to revoke and attribute later. JSON; holds no secret. */
export type UpstreamRef = Readonly<Record<string, unknown>>

/** What the agent receives, rendered into the RFC 8693 response. */
export interface ExchangeCredential {
  readonly accessToken: string
  /** `Bearer`, `DPoP` when bound to the key of the exchange's proof (RFC 9449 5), or `N_A` when the credential is not an OAuth access token (RFC 8693 2.2.1). */
  readonly tokenType: string
  /** RFC 8693 `issued_token_type`, e.g. `urn:ietf:params:oauth:token-type:access_token`. */
  readonly issuedTokenType: string
  /** System-specific members added to the response, e.g. `{ aws_credentials: {...} }`. */
  readonly extra?: Readonly<Record<string, unknown>>
}

export interface IssueRequest<Target> {
  /** The grant id the broker recorded; stamp it upstream where the system allows (AWS tags). */
  readonly grantId: string
  readonly agent: { readonly handle: string; readonly owner: string; readonly tier: number }
  readonly target: Target
  /** Already narrowed against the binding's ceiling. */
  readonly scopes: ScopeSet
  /** The broker's cap on lifetime; the connector may return less, never more. */
  readonly maxTtlSeconds: number
  /**
   * RFC 7638 thumbprint of the key whose DPoP proof (RFC 9449) the exchange verified, if any.
   * A connector that issues sender-constrained credentials binds them to it (`cnf.jkt`);
   * the others ignore it.
   */
  readonly jkt?: string
  /**
   * #17: the agents acting for `agent` (RFC 8693 act chain), most recent first, when the grant
   * was made with an actor token or for a child. Connectors carry it upstream where the system
   * can (AWS: the `lanyard:act` session tag); otherwise the ledger alone records it.
   */
  readonly act?: readonly string[]
}

/** `credential` reaches the agent once and is never stored; `ref` is stored and holds no secret. */
export interface Issued<Credential extends ExchangeCredential = ExchangeCredential> {
  readonly credential: Credential
  readonly ref: UpstreamRef
  readonly expiresAt: Date
  /** Attribution keys for whois, e.g. `{ github_hashed_token: '...' }`. Hashes and ids only. */
  readonly index?: Readonly<Record<string, string>>
  /**
   * Only where the upstream revokes by being shown the credential (GitHub, RFC 7009): the
   * broker seals it under the master key, hands it back to `revoke`, erases it afterwards.
   */
  readonly revocationSecret?: string
}

export interface RevokeRequest {
  readonly grantId: string
  readonly handle: string
  readonly ref: UpstreamRef
  readonly issuedAt: Date
  readonly expiresAt: Date
  /** The `revocationSecret` returned at issue, unsealed; absent if none was kept. */
  readonly secret?: string
}

export interface Health {
  readonly ok: boolean
  /** Short, safe to show: no secrets, no upstream bodies. */
  readonly detail?: string
}

/** A connector: how Lanyard mints, narrows and revokes credentials in one upstream system. */
export interface ConnectorDefinition<Config = unknown, Target = unknown, Credential extends ExchangeCredential = ExchangeCredential> {
  /** `type` in lanyard.yaml; stored with every grant. Never change it once released. */
  readonly type: string
  /** Range of @lanyard/connector-sdk this was written for; checked at load. */
  readonly sdk: string
  /** This connector's fields under systems[] (minus `name` and `type`). Any Standard Schema. */
  readonly config: StandardSchemaV1<unknown, Config>
  /** What a binding points at: installation + repos, role ARN, OAuth client. */
  readonly target: StandardSchemaV1<unknown, Target>
  /** Every scope this system knows; anything else is ScopeUnknown. */
  readonly scopes: ScopeCatalogue
  /**
   * One line on how `revoke` works upstream, shown by revocation dry runs, e.g.
   * `DELETE /installation/token (immediate)` or `IAM deny policy on aws:SourceIdentity`.
   */
  readonly revocationMechanism?: string
  /** Whois keys this connector writes into `Issued.index`, e.g. `github_hashed_token`. */
  readonly whoisKeys?: readonly string[]
  /**
   * The largest upstream response body this connector reads, in bytes. The fetch the broker
   * lends refuses a larger one (UpstreamUnavailable, the socket closed) before it is in memory.
   * State it in the connector's README. Default 256 KiB.
   */
  readonly maxResponseBytes?: number
  /**
   * Optional, pure, no I/O. The part of a binding's (normalised) target that at most one agent
   * may hold an active binding to, within one system: the OAuth client id, whose tokens a
   * revoke may cut together and whose whois would be ambiguous if shared. Binding a second
   * agent to a target with the same key is BindingConflict (409), enforced by the store in the
   * binding's write. Absent, or returning undefined: targets may be shared.
   */
  exclusiveTargetKey?(target: Target): string | undefined
  create(config: Config, host: ConnectorHost): ConnectorInstance<Target, Credential>
}

export interface ConnectorInstance<Target = unknown, Credential extends ExchangeCredential = ExchangeCredential> {
  /** Pure, no I/O. Returns a subset of `ceiling` or throws ScopeWidening / ScopeUnknown. */
  narrow(ceiling: ScopeSet, requested: ScopeSet): ScopeSet
  /**
   * At bind time: checks the target exists upstream and the ceiling is within what it can
   * grant; returns the target normalised (e.g. an account login resolved to an installation
   * id). Throws BindingInvalid, ScopeUnknown, UpstreamRefused or UpstreamUnavailable.
   */
  validateBinding(target: Target, ceiling: ScopeSet, signal: AbortSignal): Promise<Target>
  /** Mints one credential. Throws UpstreamRefused (final) or UpstreamUnavailable (retryable). */
  issue(request: IssueRequest<Target>, signal: AbortSignal): Promise<Issued<Credential>>
  /** Required. Idempotent: revoking twice, or after expiry, succeeds. */
  revoke(request: RevokeRequest, signal: AbortSignal): Promise<RevokeOutcome>
  /** Optional; present = the kit runs its probe cases. Is this credential still usable upstream? */
  probe?(request: RevokeRequest, signal: AbortSignal): Promise<'dead' | 'alive' | 'unknown'>
  health(signal: AbortSignal): Promise<Health>
  /**
   * Optional: RFC 8707 resource URIs an exchange may name instead of `urn:lanyard:system:<name>`
   * (an MCP server's own URL, as MCP clients send it). Unique across the deployment.
   */
  readonly resources?: readonly string[]
  /**
   * Optional, with `resources`: true when `bearer` is the credential configured for those
   * resource servers. The broker then lets the caller hold its revocation event stream and
   * introspect tokens for those resources, and nothing else. Compares in constant time.
   */
  isResourceServerCredential?(bearer: string): boolean
  /** Optional: release sockets and timers at shutdown. */
  close?(): Promise<void>
}
