import type { LanyardErrorCode } from '@lanyard/core'

/** RFC 6749 5.2 codes, plus RFC 9449's DPoP codes, RFC 8693's invalid_target and the 503 code of RFC 6749 4.1.2.1. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'temporarily_unavailable'
  | 'server_error'
  /** Lanyard's own (RFC 6749 §8.5 allows new codes): the exchange waits for a person. */
  | 'approval_required'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'

/**
 * The one place a code becomes HTTP. `status` is used on /v1 (problem details); on /oauth the
 * status follows the OAuth code (`oauthStatus`). A code without a row does not compile.
 */
export const errorMapping = {
  ERR_HANDLE_INVALID: { status: 400, oauth: 'invalid_request' },
  ERR_AGENT_NOT_FOUND: { status: 404, oauth: 'invalid_grant' },
  ERR_AGENT_EXISTS: { status: 409, oauth: 'invalid_request' },
  ERR_AGENT_NOT_ACTIVE: { status: 409, oauth: 'invalid_grant' },
  ERR_KEY_INVALID: { status: 400, oauth: 'invalid_request' },
  ERR_TOKEN_INVALID: { status: 401, oauth: 'invalid_request' },
  ERR_ASSERTION_INVALID: { status: 400, oauth: 'invalid_grant' },
  ERR_ASSERTION_REPLAYED: { status: 400, oauth: 'invalid_grant' },
  ERR_SCOPE_UNKNOWN: { status: 400, oauth: 'invalid_scope' },
  ERR_SCOPE_WIDENING: { status: 400, oauth: 'invalid_scope' },
  ERR_BINDING_NOT_FOUND: { status: 404, oauth: 'invalid_target' },
  ERR_BINDING_INVALID: { status: 400, oauth: 'invalid_request' },
  ERR_BINDING_REVOKED: { status: 409, oauth: 'invalid_target' },
  ERR_BINDING_CONFLICT: { status: 409, oauth: 'invalid_request' },
  ERR_KEY_NOT_FOUND: { status: 404, oauth: 'invalid_request' },
  ERR_GRANT_NOT_FOUND: { status: 404, oauth: 'invalid_request' },
  ERR_GRANT_NOT_PENDING: { status: 409, oauth: 'invalid_request' },
  ERR_REVOCATION_NOT_FOUND: { status: 404, oauth: 'invalid_request' },
  ERR_REVOCATION_RUNNING: { status: 409, oauth: 'invalid_request' },
  ERR_WEBHOOK_NOT_FOUND: { status: 404, oauth: 'invalid_request' },
  ERR_PRESENCE_NOT_FOUND: { status: 404, oauth: 'invalid_request' },
  ERR_SYSTEM_UNKNOWN: { status: 404, oauth: 'invalid_target' },
  ERR_TARGET_INVALID: { status: 400, oauth: 'invalid_target' },
  ERR_UPSTREAM_REFUSED: { status: 502, oauth: 'invalid_request' },
  ERR_UPSTREAM_UNAVAILABLE: { status: 503, oauth: 'temporarily_unavailable' },
  ERR_STORE_UNAVAILABLE: { status: 503, oauth: 'temporarily_unavailable' },
  ERR_AUDIT_UNAVAILABLE: { status: 503, oauth: 'temporarily_unavailable' },
  ERR_CONFIG_INVALID: { status: 500, oauth: 'server_error' },
  ERR_CONNECTOR_INVALID: { status: 500, oauth: 'server_error' },
  ERR_REQUEST_INVALID: { status: 400, oauth: 'invalid_request' },
  ERR_GRANT_TYPE_UNSUPPORTED: { status: 400, oauth: 'unsupported_grant_type' },
  ERR_CLIENT_UNAUTHORIZED: { status: 401, oauth: 'invalid_client' },
  ERR_RATE_LIMITED: { status: 429, oauth: 'temporarily_unavailable' },
  ERR_APPROVAL_REQUIRED: { status: 400, oauth: 'approval_required' },
  ERR_APPROVAL_NOT_FOUND: { status: 404, oauth: 'invalid_grant' },
  ERR_APPROVAL_MISMATCH: { status: 400, oauth: 'invalid_grant' },
  ERR_APPROVAL_SPENT: { status: 400, oauth: 'invalid_grant' },
  ERR_APPROVAL_EXPIRED: { status: 400, oauth: 'invalid_grant' },
  ERR_APPROVAL_DENIED: { status: 400, oauth: 'invalid_grant' },
  ERR_APPROVAL_CANCELLED: { status: 400, oauth: 'invalid_grant' },
  ERR_APPROVAL_NOT_PENDING: { status: 409, oauth: 'invalid_request' },
  ERR_APPROVER_NOT_ALLOWED: { status: 403, oauth: 'access_denied' },
  ERR_INTERNAL: { status: 500, oauth: 'server_error' },
  ERR_ISSUER_UNKNOWN: { status: 400, oauth: 'invalid_request' },
  ERR_ISSUER_UNAVAILABLE: { status: 503, oauth: 'temporarily_unavailable' },
  ERR_TRUST_RULE_NOT_FOUND: { status: 404, oauth: 'invalid_request' },
  ERR_DPOP_PROOF_INVALID: { status: 400, oauth: 'invalid_dpop_proof' },
  ERR_DPOP_NONCE_REQUIRED: { status: 400, oauth: 'use_dpop_nonce' },
  ERR_ROLE_REQUIRED: { status: 403, oauth: 'access_denied' },
  ERR_ADMIN_NOT_FOUND: { status: 404, oauth: 'invalid_request' },
  ERR_ADMIN_EXISTS: { status: 409, oauth: 'invalid_request' },
  ERR_DELEGATION_DENIED: { status: 403, oauth: 'invalid_grant' },
  ERR_DELEGATION_DEPTH: { status: 409, oauth: 'invalid_request' },
  ERR_CHILD_LIMIT: { status: 409, oauth: 'invalid_request' },
} as const satisfies { [C in LanyardErrorCode]: { status: number; oauth: OAuthErrorCode } }

/** RFC 6749 5.2: 400 for everything but a failed client authentication (401); 503/500 and 429
 * keep their meaning so that clients back off. */
export function oauthStatus(code: LanyardErrorCode): number {
  const { status, oauth } = errorMapping[code]
  if (oauth === 'invalid_client') return 401
  if (status === 429 || status === 503 || status === 500) return status
  return 400
}

/** RFC 9457 `type`, derived from the code by one rule: the catalogue's anchor for it. */
export function problemType(code: LanyardErrorCode): string {
  return `https://lanyard.dev/docs/errors#${code.toLowerCase().replaceAll('_', '-')}`
}
