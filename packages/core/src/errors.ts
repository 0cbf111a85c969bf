/**
 * The error catalogue. Every refusal Lanyard makes is one of these classes, each with a
 * stable `code`. `message` is safe to send to the caller; `detail` and `cause` are for logs
 * only and are already redacted (no tokens, keys, secrets or upstream bodies).
 *
 * Adding a code: add it to the union, add a class, map it in
 * apps/broker/src/http/error-mapping.ts (a missing mapping does not compile) and document it in
 * docs/errors.md (errors.test.ts fails otherwise). Retired codes are never reused.
 */
export type LanyardErrorCode =
  | 'ERR_HANDLE_INVALID'
  | 'ERR_AGENT_NOT_FOUND'
  | 'ERR_AGENT_EXISTS'
  | 'ERR_AGENT_NOT_ACTIVE'
  | 'ERR_KEY_INVALID'
  | 'ERR_TOKEN_INVALID'
  | 'ERR_ASSERTION_INVALID'
  | 'ERR_ASSERTION_REPLAYED'
  | 'ERR_SCOPE_UNKNOWN'
  | 'ERR_SCOPE_WIDENING'
  | 'ERR_BINDING_NOT_FOUND'
  | 'ERR_BINDING_INVALID'
  | 'ERR_BINDING_REVOKED'
  | 'ERR_BINDING_CONFLICT'
  | 'ERR_KEY_NOT_FOUND'
  | 'ERR_GRANT_NOT_FOUND'
  | 'ERR_GRANT_NOT_PENDING'
  | 'ERR_REVOCATION_NOT_FOUND'
  | 'ERR_REVOCATION_RUNNING'
  | 'ERR_WEBHOOK_NOT_FOUND'
  | 'ERR_PRESENCE_NOT_FOUND'
  | 'ERR_SYSTEM_UNKNOWN'
  | 'ERR_TARGET_INVALID'
  | 'ERR_UPSTREAM_REFUSED'
  | 'ERR_UPSTREAM_UNAVAILABLE'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_AUDIT_UNAVAILABLE'
  | 'ERR_CONFIG_INVALID'
  | 'ERR_CONNECTOR_INVALID'
  | 'ERR_REQUEST_INVALID'
  | 'ERR_GRANT_TYPE_UNSUPPORTED'
  | 'ERR_CLIENT_UNAUTHORIZED'
  | 'ERR_RATE_LIMITED'
  | 'ERR_APPROVAL_REQUIRED'
  | 'ERR_APPROVAL_NOT_FOUND'
  | 'ERR_APPROVAL_MISMATCH'
  | 'ERR_APPROVAL_SPENT'
  | 'ERR_APPROVAL_EXPIRED'
  | 'ERR_APPROVAL_DENIED'
  | 'ERR_APPROVAL_CANCELLED'
  | 'ERR_APPROVAL_NOT_PENDING'
  | 'ERR_APPROVER_NOT_ALLOWED'
  | 'ERR_INTERNAL'
  | 'ERR_ISSUER_UNKNOWN'
  | 'ERR_ISSUER_UNAVAILABLE'
  | 'ERR_TRUST_RULE_NOT_FOUND'
  | 'ERR_DPOP_PROOF_INVALID'
  | 'ERR_DPOP_NONCE_REQUIRED'

export interface LanyardErrorOptions extends ErrorOptions {
  /** Logged, never sent. Must already be free of tokens, keys, secrets and upstream bodies. */
  detail?: string
}

export class LanyardError extends Error {
  code: LanyardErrorCode = 'ERR_INTERNAL'
  /** Logged, never sent. Already redacted: no tokens, keys, secrets or upstream bodies. */
  readonly detail?: string

  constructor(message: string, options?: LanyardErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    if (options?.detail !== undefined) this.detail = options.detail
    Error.captureStackTrace?.(this, new.target)
  }
}

/** A handle is not lower-case `local@domain`. */
export class HandleInvalid extends LanyardError {
  override code = 'ERR_HANDLE_INVALID' as const
  readonly reason: string
  constructor(reason: string, options?: LanyardErrorOptions) {
    super(`handle is invalid: ${reason}`, options)
    this.reason = reason
  }
}

export class AgentNotFound extends LanyardError {
  override code = 'ERR_AGENT_NOT_FOUND' as const
  readonly handle: string
  constructor(handle: string, options?: LanyardErrorOptions) {
    super(`agent "${handle}" does not exist`, options)
    this.handle = handle
  }
}

export class AgentExists extends LanyardError {
  override code = 'ERR_AGENT_EXISTS' as const
  readonly handle: string
  constructor(handle: string, options?: LanyardErrorOptions) {
    super(`agent "${handle}" already exists`, options)
    this.handle = handle
  }
}

/** The agent is suspended or revoked, or its generation moved past the token presented. */
export class AgentNotActive extends LanyardError {
  override code = 'ERR_AGENT_NOT_ACTIVE' as const
  readonly handle: string
  readonly status: string
  constructor(handle: string, status: string, options?: LanyardErrorOptions) {
    super(`agent "${handle}" is ${status}`, options)
    this.handle = handle
    this.status = status
  }
}

/** A public key that cannot be registered (private material, unsupported curve or type). */
export class KeyInvalid extends LanyardError {
  override code = 'ERR_KEY_INVALID' as const
  readonly reason: string
  constructor(reason: string, options?: LanyardErrorOptions) {
    super(`key is invalid: ${reason}`, options)
    this.reason = reason
  }
}

/** A handle token (or other bearer) that is malformed, forged, expired, revoked or stale. */
export class TokenInvalid extends LanyardError {
  override code = 'ERR_TOKEN_INVALID' as const
  readonly reason: string
  constructor(reason: string, options?: LanyardErrorOptions) {
    super(`token is invalid: ${reason}`, options)
    this.reason = reason
  }
}

/** An agent's authentication assertion (RFC 7523) was refused. */
export class AssertionInvalid extends LanyardError {
  override code = 'ERR_ASSERTION_INVALID' as const
  readonly reason: string
  constructor(reason: string, options?: LanyardErrorOptions) {
    super(`assertion is invalid: ${reason}`, options)
    this.reason = reason
  }
}

export class AssertionReplayed extends LanyardError {
  override code = 'ERR_ASSERTION_REPLAYED' as const
  constructor(options?: LanyardErrorOptions) {
    super('assertion jti was already used', options)
  }
}

export class ScopeUnknown extends LanyardError {
  override code = 'ERR_SCOPE_UNKNOWN' as const
  readonly scope: string
  constructor(scope: string, options?: LanyardErrorOptions) {
    super(`scope "${scope}" is not known to this system`, options)
    this.scope = scope
  }
}

export class ScopeWidening extends LanyardError {
  override code = 'ERR_SCOPE_WIDENING' as const
  readonly scope: string
  constructor(scope: string, options?: LanyardErrorOptions) {
    super(`scope "${scope}" exceeds the binding ceiling`, options)
    this.scope = scope
  }
}

export class BindingNotFound extends LanyardError {
  override code = 'ERR_BINDING_NOT_FOUND' as const
  readonly handle: string
  readonly system: string
  constructor(handle: string, system: string, options?: LanyardErrorOptions) {
    super(`agent "${handle}" has no binding to system "${system}"`, options)
    this.handle = handle
    this.system = system
  }
}

/** A binding's target or ceiling was refused by its connector. */
export class BindingInvalid extends LanyardError {
  override code = 'ERR_BINDING_INVALID' as const
  readonly reason: string
  constructor(reason: string, options?: LanyardErrorOptions) {
    super(`binding is invalid: ${reason}`, options)
    this.reason = reason
  }
}

/**
 * The binding exchanges nothing: `revoked` (an admin revoked it; only a new binding, made on
 * purpose, exchanges again) or `replaced` (it changed while this exchange was in flight:
 * exchange again, under the new binding).
 */
export class BindingRevoked extends LanyardError {
  override code = 'ERR_BINDING_REVOKED' as const
  readonly handle: string
  readonly system: string
  readonly reason: 'revoked' | 'replaced'
  constructor(handle: string, system: string, reason: 'revoked' | 'replaced', options?: LanyardErrorOptions) {
    super(reason === 'revoked' ? `agent "${handle}"'s binding to system "${system}" is revoked` : `agent "${handle}"'s binding to system "${system}" changed during the exchange; exchange again`, options)
    this.handle = handle
    this.system = system
    this.reason = reason
  }
}

/** Another agent already holds an active binding to the same exclusive target (e.g. one OAuth client). */
export class BindingConflict extends LanyardError {
  override code = 'ERR_BINDING_CONFLICT' as const
  readonly system: string
  constructor(system: string, options?: LanyardErrorOptions) {
    super(`another agent is already bound to this target of system "${system}"; one target (e.g. OAuth client) serves one agent`, options)
    this.system = system
  }
}

/** The agent has no key with that `kid`. */
export class KeyNotFound extends LanyardError {
  override code = 'ERR_KEY_NOT_FOUND' as const
  readonly handle: string
  readonly kid: string
  constructor(handle: string, kid: string, options?: LanyardErrorOptions) {
    super(`agent "${handle}" has no key "${kid}"`, options)
    this.handle = handle
    this.kid = kid
  }
}

export class GrantNotFound extends LanyardError {
  override code = 'ERR_GRANT_NOT_FOUND' as const
  readonly grantId: string
  constructor(grantId: string, options?: LanyardErrorOptions) {
    super(`grant "${grantId}" does not exist`, options)
    this.grantId = grantId
  }
}

/**
 * A grant was settled that is no longer `pending`: a reconciler and a slow exchange raced, and
 * the first settlement stands. The rule is core's grant status machine (exchange/grant-status.ts).
 */
export class GrantNotPending extends LanyardError {
  override code = 'ERR_GRANT_NOT_PENDING' as const
  readonly grantId: string
  readonly status: string
  constructor(grantId: string, status: string, options?: LanyardErrorOptions) {
    super(`grant "${grantId}" is ${status}, no longer pending`, options)
    this.grantId = grantId
    this.status = status
  }
}

export class RevocationNotFound extends LanyardError {
  override code = 'ERR_REVOCATION_NOT_FOUND' as const
  readonly revocationId: string
  constructor(revocationId: string, options?: LanyardErrorOptions) {
    super(`revocation "${revocationId}" does not exist`, options)
    this.revocationId = revocationId
  }
}

/** A receipt was asked of a revocation that still has tasks to work. */
export class RevocationRunning extends LanyardError {
  override code = 'ERR_REVOCATION_RUNNING' as const
  readonly revocationId: string
  constructor(revocationId: string, options?: LanyardErrorOptions) {
    super(`revocation "${revocationId}" is still running; its receipt comes when every task is done`, options)
    this.revocationId = revocationId
  }
}

export class WebhookNotFound extends LanyardError {
  override code = 'ERR_WEBHOOK_NOT_FOUND' as const
  readonly webhookId: string
  constructor(webhookId: string, options?: LanyardErrorOptions) {
    super(`webhook "${webhookId}" does not exist`, options)
    this.webhookId = webhookId
  }
}

/**
 * No public agent answers at this handle. One message for an unknown handle and for an agent
 * whose presence is private, so the public presence routes cannot be used to enumerate agents.
 */
export class PresenceNotFound extends LanyardError {
  override code = 'ERR_PRESENCE_NOT_FOUND' as const
  readonly handle: string
  constructor(handle: string, options?: LanyardErrorOptions) {
    // The handle stays out of the message: the answer is byte-identical whichever handle was asked.
    super('no public agent answers at this handle', options)
    this.handle = handle
  }
}

export class SystemUnknown extends LanyardError {
  override code = 'ERR_SYSTEM_UNKNOWN' as const
  readonly system: string
  constructor(system: string, options?: LanyardErrorOptions) {
    super(`system "${system}" is not configured`, options)
    this.system = system
  }
}

/**
 * RFC 8707: a `resource` (or `audience`) that is malformed, repeated or names no system in the
 * one accepted form. Answered `invalid_target`, never `invalid_request`.
 */
export class TargetInvalid extends LanyardError {
  override code = 'ERR_TARGET_INVALID' as const
  constructor(message: string, options?: LanyardErrorOptions) {
    super(message, options)
  }
}

/** The upstream answered and said no. Final: retrying the same request will not help. */
export class UpstreamRefused extends LanyardError {
  override code = 'ERR_UPSTREAM_REFUSED' as const
  readonly system: string
  readonly reason: string
  constructor(system: string, reason: string, options?: LanyardErrorOptions) {
    super(`system "${system}" refused the request: ${reason}`, options)
    this.system = system
    this.reason = reason
  }
}

export interface UpstreamUnavailableOptions extends LanyardErrorOptions {
  /**
   * What the upstream answered, in the connector's words, safe to show an admin (`HTTP 429
   * slow_down`): no token, key or body. Appended to the message, so a task that ends `failed`
   * records it.
   */
  answer?: string
  /** The upstream's `Retry-After` (seconds or HTTP date), as a delay from now: no retry before. */
  retryAfterMs?: number
}

/** The upstream could not be reached or failed transiently (429, 503 included). Retryable. */
export class UpstreamUnavailable extends LanyardError {
  override code = 'ERR_UPSTREAM_UNAVAILABLE' as const
  readonly system: string
  readonly answer?: string
  readonly retryAfterMs?: number
  constructor(system: string, options?: UpstreamUnavailableOptions) {
    super(`system "${system}" is unavailable${options?.answer === undefined ? '' : `: ${options.answer}`}`, options)
    this.system = system
    if (options?.answer !== undefined) this.answer = options.answer
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs
  }
}

export class StoreUnavailable extends LanyardError {
  override code = 'ERR_STORE_UNAVAILABLE' as const
  constructor(options?: LanyardErrorOptions) {
    super('the store is unavailable', options)
  }
}

export class AuditUnavailable extends LanyardError {
  override code = 'ERR_AUDIT_UNAVAILABLE' as const
  constructor(options?: LanyardErrorOptions) {
    super('the audit log is unavailable', options)
  }
}

/** Configuration refused at start. `issues` lists every problem, each naming its field path. */
export class ConfigInvalid extends LanyardError {
  override code = 'ERR_CONFIG_INVALID' as const
  readonly issues: readonly string[]
  constructor(issues: readonly string[], options?: LanyardErrorOptions) {
    super(`configuration is invalid:\n  - ${issues.join('\n  - ')}`, options)
    this.issues = issues
  }
}

/** A connector plugin is not a valid ConnectorDefinition. */
export class ConnectorInvalid extends LanyardError {
  override code = 'ERR_CONNECTOR_INVALID' as const
  readonly connector: string
  readonly reason: string
  constructor(connector: string, reason: string, options?: LanyardErrorOptions) {
    super(`connector "${connector}" is invalid: ${reason}`, options)
    this.connector = connector
    this.reason = reason
  }
}

/** A request body or parameter failed validation. `issues` name the fields. */
export class RequestInvalid extends LanyardError {
  override code = 'ERR_REQUEST_INVALID' as const
  readonly issues: readonly string[]
  constructor(issues: readonly string[], options?: LanyardErrorOptions) {
    super(`request is invalid: ${issues.join('; ')}`, options)
    this.issues = issues
  }
}

export class GrantTypeUnsupported extends LanyardError {
  override code = 'ERR_GRANT_TYPE_UNSUPPORTED' as const
  readonly grantType: string
  constructor(grantType: string, options?: LanyardErrorOptions) {
    super(`grant_type "${grantType}" is not supported`, options)
    this.grantType = grantType
  }
}

/** The caller's admin or client credentials are missing or wrong. */
export class ClientUnauthorized extends LanyardError {
  override code = 'ERR_CLIENT_UNAUTHORIZED' as const
  constructor(options?: LanyardErrorOptions) {
    super('client authentication failed', options)
  }
}

export class RateLimited extends LanyardError {
  override code = 'ERR_RATE_LIMITED' as const
  readonly retryAfterSeconds: number
  constructor(retryAfterSeconds: number, options?: LanyardErrorOptions) {
    super(`rate limit exceeded; retry after ${retryAfterSeconds} s`, options)
    this.retryAfterSeconds = retryAfterSeconds
  }
}

/** The exchange needs a person's approval first; the request is recorded as `approvalId`. */
export class ApprovalRequired extends LanyardError {
  override code = 'ERR_APPROVAL_REQUIRED' as const
  readonly approvalId: string
  readonly expiresAt: Date
  constructor(approvalId: string, expiresAt: Date, options?: LanyardErrorOptions) {
    super(`this exchange needs a person's approval; wait for approval "${approvalId}", then exchange again with approval_id`, options)
    this.approvalId = approvalId
    this.expiresAt = expiresAt
  }
}

export class ApprovalNotFound extends LanyardError {
  override code = 'ERR_APPROVAL_NOT_FOUND' as const
  constructor(approvalId: string, options?: LanyardErrorOptions) {
    super(`approval "${approvalId}" does not exist`, options)
  }
}

/** What the approval was not for: another agent, another binding, another scope set. */
export type ApprovalMismatchReason = 'agent' | 'binding' | 'scopes'

export class ApprovalMismatch extends LanyardError {
  override code = 'ERR_APPROVAL_MISMATCH' as const
  readonly reason: ApprovalMismatchReason
  constructor(approvalId: string, reason: ApprovalMismatchReason, options?: LanyardErrorOptions) {
    super(`approval "${approvalId}" was given for another ${reason === 'scopes' ? 'scope set' : reason}`, options)
    this.reason = reason
  }
}

export class ApprovalSpent extends LanyardError {
  override code = 'ERR_APPROVAL_SPENT' as const
  constructor(approvalId: string, options?: LanyardErrorOptions) {
    super(`approval "${approvalId}" was used already; an approval mints one grant`, options)
  }
}

export class ApprovalExpired extends LanyardError {
  override code = 'ERR_APPROVAL_EXPIRED' as const
  constructor(approvalId: string, options?: LanyardErrorOptions) {
    super(`approval "${approvalId}" has expired`, options)
  }
}

export class ApprovalDenied extends LanyardError {
  override code = 'ERR_APPROVAL_DENIED' as const
  constructor(approvalId: string, options?: LanyardErrorOptions) {
    super(`approval "${approvalId}" was denied`, options)
  }
}

/** The approval no longer stands: the agent was revoked, or changed (suspended, resumed) since it asked. */
export class ApprovalCancelled extends LanyardError {
  override code = 'ERR_APPROVAL_CANCELLED' as const
  readonly reason: string
  constructor(approvalId: string, reason: string, options?: LanyardErrorOptions) {
    super(`approval "${approvalId}" no longer stands: ${reason}`, options)
    this.reason = reason
  }
}

/** A decision came for an approval that is already decided, spent or cancelled. */
export class ApprovalNotPending extends LanyardError {
  override code = 'ERR_APPROVAL_NOT_PENDING' as const
  readonly status: string
  constructor(approvalId: string, status: string, options?: LanyardErrorOptions) {
    super(`approval "${approvalId}" is ${status}, not pending`, options)
    this.status = status
  }
}

export class ApproverNotAllowed extends LanyardError {
  override code = 'ERR_APPROVER_NOT_ALLOWED' as const
  constructor(approver: string, options?: LanyardErrorOptions) {
    super(`"${approver}" is not an approver of this request`, options)
  }
}

export class InternalFailure extends LanyardError {
  override code = 'ERR_INTERNAL' as const
  constructor(options?: LanyardErrorOptions) {
    super('internal error', options)
  }
}

/** A trust rule names an issuer that `federation.issuers` does not list. */
export class IssuerUnknown extends LanyardError {
  override code = 'ERR_ISSUER_UNKNOWN' as const
  readonly issuer: string
  constructor(issuer: string, options?: LanyardErrorOptions) {
    super(`issuer "${issuer}" is not configured under federation.issuers`, options)
    this.issuer = issuer
  }
}

/** A configured federation issuer's keys cannot be fetched, and none are cached any more. Retryable. */
export class IssuerUnavailable extends LanyardError {
  override code = 'ERR_ISSUER_UNAVAILABLE' as const
  readonly issuer: string
  constructor(issuer: string, options?: LanyardErrorOptions) {
    super(`the keys of issuer "${issuer}" cannot be fetched`, options)
    this.issuer = issuer
  }
}

export class TrustRuleNotFound extends LanyardError {
  override code = 'ERR_TRUST_RULE_NOT_FOUND' as const
  readonly ruleId: string
  constructor(ruleId: string, options?: LanyardErrorOptions) {
    super(`trust rule "${ruleId}" does not exist`, options)
    this.ruleId = ruleId
  }
}

/** Why a DPoP proof (RFC 9449) was refused; closed, like jose's claim reasons. */
export type DpopProofReason = 'missing' | 'malformed' | 'signature' | 'other-key' | 'replayed' | 'method' | 'url' | 'stale' | 'token-hash' | 'unbound-token'

/** A DPoP proof is missing, malformed, from another key, replayed, for another request, or stale. */
export class DpopProofInvalid extends LanyardError {
  override code = 'ERR_DPOP_PROOF_INVALID' as const
  readonly reason: DpopProofReason
  constructor(reason: DpopProofReason, message: string, options?: LanyardErrorOptions) {
    super(`DPoP proof is invalid: ${message}`, options)
    this.reason = reason
  }
}

/** The broker wants its own `nonce` in the DPoP proof (RFC 9449 8); `nonce` goes in the DPoP-Nonce header. */
export class DpopNonceRequired extends LanyardError {
  override code = 'ERR_DPOP_NONCE_REQUIRED' as const
  readonly nonce: string
  constructor(nonce: string, options?: LanyardErrorOptions) {
    super('the DPoP proof must carry the nonce the broker supplies in the DPoP-Nonce header', options)
    this.nonce = nonce
  }
}

export type AnyLanyardError =
  | HandleInvalid
  | AgentNotFound
  | AgentExists
  | AgentNotActive
  | KeyInvalid
  | TokenInvalid
  | AssertionInvalid
  | AssertionReplayed
  | ScopeUnknown
  | ScopeWidening
  | BindingNotFound
  | BindingInvalid
  | BindingRevoked
  | BindingConflict
  | KeyNotFound
  | GrantNotFound
  | GrantNotPending
  | RevocationNotFound
  | RevocationRunning
  | WebhookNotFound
  | PresenceNotFound
  | SystemUnknown
  | TargetInvalid
  | UpstreamRefused
  | UpstreamUnavailable
  | StoreUnavailable
  | AuditUnavailable
  | ConfigInvalid
  | ConnectorInvalid
  | RequestInvalid
  | GrantTypeUnsupported
  | ClientUnauthorized
  | RateLimited
  | ApprovalRequired
  | ApprovalNotFound
  | ApprovalMismatch
  | ApprovalSpent
  | ApprovalExpired
  | ApprovalDenied
  | ApprovalCancelled
  | ApprovalNotPending
  | ApproverNotAllowed
  | InternalFailure
  | IssuerUnknown
  | IssuerUnavailable
  | TrustRuleNotFound
  | DpopProofInvalid
  | DpopNonceRequired

/** Every class in the catalogue, for the catalogue integrity test. */
export const errorClasses = [
  HandleInvalid, AgentNotFound, AgentExists, AgentNotActive, KeyInvalid, TokenInvalid,
  AssertionInvalid, AssertionReplayed, ScopeUnknown, ScopeWidening, BindingNotFound,
  BindingInvalid, GrantNotFound, GrantNotPending, RevocationNotFound, RevocationRunning, WebhookNotFound, PresenceNotFound, SystemUnknown, TargetInvalid, UpstreamRefused,
  UpstreamUnavailable, StoreUnavailable, AuditUnavailable, ConfigInvalid, ConnectorInvalid,
  RequestInvalid, GrantTypeUnsupported, ClientUnauthorized, RateLimited, InternalFailure,
  ApprovalRequired, ApprovalNotFound, ApprovalMismatch, ApprovalSpent, ApprovalExpired, ApprovalDenied, ApprovalCancelled, ApprovalNotPending, ApproverNotAllowed,
  BindingRevoked, BindingConflict, KeyNotFound,
  IssuerUnknown, IssuerUnavailable, TrustRuleNotFound, DpopProofInvalid, DpopNonceRequired,
] as const

export function isLanyardError(value: unknown): value is AnyLanyardError {
  return value instanceof LanyardError
}

/** Retryable is a property of the code, never of who threw it. */
export function isRetryable(error: unknown): boolean {
  return isLanyardError(error) && (error.code === 'ERR_UPSTREAM_UNAVAILABLE' || error.code === 'ERR_STORE_UNAVAILABLE' || error.code === 'ERR_RATE_LIMITED' || error.code === 'ERR_ISSUER_UNAVAILABLE')
}
