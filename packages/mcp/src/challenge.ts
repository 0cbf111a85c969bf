import type { ServerResponse } from 'node:http'

/** RFC 6750 3.1 error codes a resource server answers with, and RFC 9449 7.1's for a bad proof. */
export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof'

/** One `auth-param`: RFC 7235 quoted-string, with `"` and `\` escaped. */
function param(name: string, value: string): string {
  return `${name}="${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`
}

export interface Challenge {
  readonly status: 401 | 403 | 400 | 503
  readonly error?: BearerError | 'temporarily_unavailable'
  readonly description?: string
  /** insufficient_scope: every scope the request needs (RFC 6750 3.1, MCP step-up). */
  readonly scope?: readonly string[]
  /** `DPoP` (RFC 9449 7.1) when the refused token is DPoP-bound; the challenge then lists `algs`. Default Bearer. */
  readonly scheme?: 'Bearer' | 'DPoP'
}

/**
 * Answers a refused request. The `WWW-Authenticate` header names the RFC 9728 metadata (the
 * MCP authorization spec requires it on 401) and, for 403, the scope the request needs. A
 * request without any token gets no `error` (RFC 6750 3.1). The body repeats the error as
 * JSON for clients that read bodies; it never echoes the token. A `DPoP` challenge also names
 * the proof algorithms accepted (`algs`).
 */
export function refuse(res: ServerResponse, resourceMetadataUrl: string, challenge: Challenge, dpopAlgs: readonly string[]): void {
  const params = [param('resource_metadata', resourceMetadataUrl)]
  if (challenge.scheme === 'DPoP') params.push(param('algs', dpopAlgs.join(' ')))
  if (challenge.error !== undefined && challenge.error !== 'temporarily_unavailable') params.push(param('error', challenge.error))
  if (challenge.scope !== undefined) params.push(param('scope', challenge.scope.join(' ')))
  if (challenge.description !== undefined && challenge.error !== 'temporarily_unavailable') params.push(param('error_description', challenge.description))
  if (res.headersSent) {
    res.destroy()
    return
  }
  res.statusCode = challenge.status
  if (challenge.status !== 503) res.setHeader('WWW-Authenticate', `${challenge.scheme ?? 'Bearer'} ${params.join(', ')}`)
  else res.setHeader('Retry-After', '1')
  res.setHeader('Cache-Control', 'no-store')
  res.setHeader('Content-Type', 'application/json')
  const body: Record<string, unknown> = { error: challenge.error ?? 'invalid_request' }
  if (challenge.description !== undefined) body.error_description = challenge.description
  if (challenge.scope !== undefined) body.scope = challenge.scope.join(' ')
  res.end(JSON.stringify(body))
}

/** A refused request, thrown inside the guard and answered by `refuse`. */
export class Refusal extends Error {
  readonly challenge: Challenge
  constructor(challenge: Challenge) {
    super(challenge.description ?? challenge.error ?? 'refused')
    this.challenge = challenge
  }
}
