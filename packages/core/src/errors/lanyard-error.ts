/**
 * The error catalogue. Every refusal Lanyard makes is one of these classes, each with a
 * stable `code`. `message` is safe to send to the caller; `detail` and `cause` are for logs
 * only and are already redacted (no tokens, keys, secrets or upstream bodies).
 *
 * Adding a code: add it to the union, add a class in the area's file beside this one (and to
 * that file's list), map it in
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
  | 'ERR_ROLE_REQUIRED'
  | 'ERR_ADMIN_NOT_FOUND'
  | 'ERR_ADMIN_EXISTS'
  | 'ERR_DELEGATION_DENIED'
  | 'ERR_DELEGATION_DEPTH'
  | 'ERR_CHILD_LIMIT'

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
