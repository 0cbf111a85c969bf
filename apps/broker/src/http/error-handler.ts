import type { ErrorRequestHandler } from 'express'
import { ConfigInvalid, DpopNonceRequired, InternalFailure, isLanyardError, RateLimited, RequestInvalid, RoleRequired, type AnyLanyardError, type Logger } from '@lanyard/core'
import { errorMapping, oauthStatus, problemType } from './error-mapping.js'

/** Turns anything thrown into a catalogue error. Body-parser failures become RequestInvalid with
 * their own status (400 malformed, 413 too large); anything unknown becomes InternalFailure. */
export function toLanyardError(error: unknown): { error: AnyLanyardError; status?: number } {
  if (isLanyardError(error)) return { error }
  const parser = error as { type?: string; status?: number; limit?: number }
  if (parser?.type === 'entity.parse.failed') return { error: new RequestInvalid(['body: malformed JSON']), status: 400 }
  if (parser?.type === 'entity.too.large') return { error: new RequestInvalid([`body: larger than ${parser.limit} bytes`]), status: 413 }
  if (parser?.type === 'content-type.unsupported') return { error: new RequestInvalid(['content-type: must be application/json']), status: 415 }
  if (parser?.type === 'encoding.unsupported' || parser?.type === 'charset.unsupported') return { error: new RequestInvalid(['body: unsupported encoding']), status: 415 }
  if (typeof parser?.status === 'number' && parser.status >= 400 && parser.status < 500) return { error: new RequestInvalid(['body: unreadable']), status: parser.status }
  return { error: new InternalFailure({ cause: error }) }
}

function logFailure(log: Logger, error: AnyLanyardError, status: number, path: string): void {
  const fields = { code: error.code, status, path, ...(error.detail === undefined ? {} : { detail: error.detail }), ...(error.cause === undefined ? {} : { cause: String(error.cause) }) }
  if (status >= 500) log.error(fields, error.message)
  else log.info(fields, error.message)
}

/** Where an answer's headers go: express's Response and node's ServerResponse both are one. */
export interface HeaderSink {
  setHeader(name: string, value: string): unknown
}

function retryAfter(res: HeaderSink, error: AnyLanyardError): void {
  if (error instanceof RateLimited) res.setHeader('Retry-After', String(error.retryAfterSeconds))
  else if (error.code === 'ERR_STORE_UNAVAILABLE' || error.code === 'ERR_UPSTREAM_UNAVAILABLE' || error.code === 'ERR_AUDIT_UNAVAILABLE') res.setHeader('Retry-After', '1')
  else if (error.code === 'ERR_ISSUER_UNAVAILABLE') res.setHeader('Retry-After', '10')
  // RFC 9449 8: the nonce to put in the next proof.
  if (error instanceof DpopNonceRequired) res.setHeader('DPoP-Nonce', error.nonce)
}

/**
 * /oauth/*: RFC 6749 5.2 bodies. The `message` of a catalogue error is public by contract;
 * 5xx answers carry fixed text, the rest goes to the log only (oidc-provider's errOut).
 * Logs the failure, sets the headers on `res` and returns the status and body to send: the one
 * answer of express's handler below and of the token endpoint's lean path (`oauth-token-lane.ts`).
 */
export function oauthErrorAnswer(log: Logger, thrown: unknown, path: string, res: HeaderSink): { status: number; body: { error: string; error_description: string; code: string } } {
  const { error, status: override } = toLanyardError(thrown)
  const status = override ?? oauthStatus(error.code)
  logFailure(log, error, status, path)
  retryAfter(res, error)
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="lanyard"')
  res.setHeader('Cache-Control', 'no-store')
  // `code`: the stable ERR_* code as an extension member (RFC 6749 §5.2 allows them), so clients assert codes, never prose.
  return { status, body: { error: errorMapping[error.code].oauth, error_description: status >= 500 && error.code === 'ERR_INTERNAL' ? 'internal error' : error.message, code: error.code } }
}

/** /oauth/*: {@link oauthErrorAnswer} as express's error handler. */
export function oauthErrorHandler(log: Logger): ErrorRequestHandler {
  return (thrown, req, res, _next) => {
    const { status, body } = oauthErrorAnswer(log, thrown, req.path, res)
    res.status(status).json(body)
  }
}

/** /v1: RFC 9457 problem details with the stable `code`, and `errors` for field issues. */
export function problemErrorHandler(log: Logger): ErrorRequestHandler {
  return (thrown, req, res, _next) => {
    const { error, status: override } = toLanyardError(thrown)
    const status = override ?? errorMapping[error.code].status
    logFailure(log, error, status, req.path)
    retryAfter(res, error)
    if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="lanyard"')
    const problem: Record<string, unknown> = {
      type: problemType(error.code),
      title: error.code === 'ERR_INTERNAL' ? 'internal error' : error.name,
      status,
      detail: error.code === 'ERR_INTERNAL' ? 'internal error' : error.message,
      code: error.code,
    }
    if (error instanceof RequestInvalid || error instanceof ConfigInvalid) problem.errors = error.issues
    if (error instanceof RoleRequired) problem.requiredRoles = error.requiredRoles
    res.status(status).type('application/problem+json').send(JSON.stringify(problem))
  }
}
