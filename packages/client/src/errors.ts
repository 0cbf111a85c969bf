/**
 * What a broker refusal looks like to an agent. `error` is the RFC 6749 §5.2 / RFC 8693 §2.2.2
 * code the broker answered, or one of the SDK's own (`network`, `invalid_response`); the four
 * conditions an agent usually handles differently have their own class.
 *
 * Messages hold the code, the broker's public description and the HTTP status: never a token,
 * an assertion or key material (the broker promises the same of its descriptions).
 */
export type ClientErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_token_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'temporarily_unavailable'
  | 'server_error'
  /** RFC 9449: the DPoP proof was refused (missing, other key, replayed, wrong method or URL, stale). */
  | 'invalid_dpop_proof'
  /** RFC 9449 §8: repeat with the nonce of the DPoP-Nonce header (the SDK does, once). */
  | 'use_dpop_nonce'
  /** The broker could not be reached (refused, reset, DNS, timeout). */
  | 'network'
  /** The broker answered something that is not the documented shape. */
  | 'invalid_response'

const oauthCodes: ReadonlySet<string> = new Set<ClientErrorCode>([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'unsupported_token_type',
  'invalid_scope',
  'invalid_target',
  'access_denied',
  'temporarily_unavailable',
  'server_error',
  'invalid_dpop_proof',
  'use_dpop_nonce',
])

export interface ClientErrorInit {
  description?: string | undefined
  status?: number | undefined
  cause?: unknown
}

export class LanyardClientError extends Error {
  readonly error: ClientErrorCode
  /** The broker's `error_description` (public text), or the SDK's own explanation. */
  readonly description: string | undefined
  /** HTTP status of the broker's answer; undefined when there was no answer. */
  readonly status: number | undefined

  constructor(error: ClientErrorCode, init: ClientErrorInit = {}) {
    const status = init.status === undefined ? '' : ` (HTTP ${init.status})`
    super(`${error}${init.description ? `: ${init.description}` : ''}${status}`, init.cause === undefined ? undefined : { cause: init.cause })
    this.name = new.target.name
    this.error = error
    this.description = init.description
    this.status = init.status
    Error.captureStackTrace?.(this, new.target)
  }
}

/** The assertion or the handle token was refused: unknown key, agent suspended or revoked, token expired. */
export class InvalidGrant extends LanyardClientError {
  declare readonly error: 'invalid_grant'
  constructor(init?: ClientErrorInit) {
    super('invalid_grant', init)
  }
}

/** A requested scope is unknown to the system or wider than the binding's ceiling. */
export class InvalidScope extends LanyardClientError {
  declare readonly error: 'invalid_scope'
  constructor(init?: ClientErrorInit) {
    super('invalid_scope', init)
  }
}

/** The system is unknown, or the agent has no binding to it. */
export class InvalidTarget extends LanyardClientError {
  declare readonly error: 'invalid_target'
  constructor(init?: ClientErrorInit) {
    super('invalid_target', init)
  }
}

/** The broker or the upstream is unavailable; retrying later may succeed. */
export class TemporarilyUnavailable extends LanyardClientError {
  declare readonly error: 'temporarily_unavailable'
  constructor(init?: ClientErrorInit) {
    super('temporarily_unavailable', init)
  }
}

/** No answer from the broker at all. */
export class BrokerUnreachable extends LanyardClientError {
  declare readonly error: 'network'
  constructor(init?: ClientErrorInit) {
    super('network', init)
  }
}

/**
 * The error for a broker answer with a non-2xx status. (1) An RFC 6749 error body keeps its
 * code; (2) a 503 without one is `temporarily_unavailable`; (3) anything else is a
 * `server_error` (5xx) or an `invalid_response`. Unknown codes are named in the description.
 */
export function errorFromResponse(status: number, body: unknown): LanyardClientError {
  const code = isRecord(body) && typeof body.error === 'string' ? body.error : undefined
  const description = isRecord(body) && typeof body.error_description === 'string' ? body.error_description : undefined
  if (code !== undefined) {
    if (oauthCodes.has(code)) return fromCode(code as ClientErrorCode, { description, status })
    return new LanyardClientError(status >= 500 ? 'server_error' : 'invalid_response', {
      description: `unrecognised error code "${code.slice(0, 64)}"${description ? `: ${description}` : ''}`,
      status,
    })
  }
  if (status === 503) return new TemporarilyUnavailable({ status })
  return new LanyardClientError(status >= 500 ? 'server_error' : 'invalid_response', { description: 'the broker answered without an OAuth error body', status })
}

function fromCode(code: ClientErrorCode, init: ClientErrorInit): LanyardClientError {
  switch (code) {
    case 'invalid_grant':
      return new InvalidGrant(init)
    case 'invalid_scope':
      return new InvalidScope(init)
    case 'invalid_target':
      return new InvalidTarget(init)
    case 'temporarily_unavailable':
      return new TemporarilyUnavailable(init)
    case 'network':
      return new BrokerUnreachable(init)
    default:
      return new LanyardClientError(code, init)
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
