/** The error catalogue: tokens, assertions, DPoP proofs, issuers and the request itself. */
import { LanyardError, type LanyardErrorOptions } from './lanyard-error.js'

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

/**
 * Why a caller's credentials were refused, when saying so helps and reveals nothing about any
 * token: `csrf-header`: the console session cookie came without `X-Lanyard-CSRF: 1`.
 */
export type ClientUnauthorizedReason = 'csrf-header'

const unauthorizedReasons: Record<ClientUnauthorizedReason, string> = {
  'csrf-header': 'a request with the console session cookie must carry the header X-Lanyard-CSRF: 1',
}

/** The caller's admin or client credentials are missing or wrong. */
export class ClientUnauthorized extends LanyardError {
  override code = 'ERR_CLIENT_UNAUTHORIZED' as const
  readonly reason?: ClientUnauthorizedReason
  constructor(options?: LanyardErrorOptions & { reason?: ClientUnauthorizedReason }) {
    super(options?.reason === undefined ? 'client authentication failed' : `client authentication failed: ${unauthorizedReasons[options.reason]}`, options)
    if (options?.reason !== undefined) this.reason = options.reason
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

/** A request body or parameter failed validation. `issues` name the fields. */
export class RequestInvalid extends LanyardError {
  override code = 'ERR_REQUEST_INVALID' as const
  readonly issues: readonly string[]
  constructor(issues: readonly string[], options?: LanyardErrorOptions) {
    super(`request is invalid: ${issues.join('; ')}`, options)
    this.issues = issues
  }
}

export const tokensErrors = [TokenInvalid, AssertionInvalid, AssertionReplayed, DpopProofInvalid, DpopNonceRequired, IssuerUnknown, IssuerUnavailable, ClientUnauthorized, GrantTypeUnsupported, RequestInvalid] as const
