import { TokenInvalid } from '../errors.js'
import type { Clock } from '../ports/clock.js'
import type { AccessTokenClaims } from '../ports/connector.js'
import type { KeyRing } from './key-ring.js'
import { signJwt } from './sign-jwt.js'
import { verifyBrokerJwt } from './verify-jwt.js'

/** RFC 9068 2.1: the JOSE `typ` of a JWT access token; no other token the broker signs has it. */
export const accessTokenType = 'at+jwt'

/** What introspection and whois read from a verified access token. */
export interface VerifiedAccessToken {
  readonly handle: string
  readonly jti: string
  readonly audience: string
  readonly scope: string
  readonly clientId: string
  readonly issuedAt: Date
  readonly expiresAt: Date
  /** `cnf.jkt`: the token is DPoP-bound to this key (RFC 9449 6.1). */
  readonly jkt?: string
}

/**
 * Signs an RFC 9068 access token for a resource server (an MCP server) with the broker's RS256
 * or ES256 key: what resource servers' JOSE stacks verify. `iat` and `exp` come from `clock`.
 */
export async function signAccessToken(keys: KeyRing, clock: Clock, issuer: string, claims: AccessTokenClaims, alg: 'RS256' | 'ES256' = 'ES256'): Promise<string> {
  const now = new Date(Math.floor(clock.now().getTime() / 1000) * 1000)
  return signJwt(
    keys,
    { alg, typ: accessTokenType },
    { issuer, subject: claims.sub, audience: claims.aud, issuedAt: now, expiresAt: new Date(now.getTime() + claims.ttlSeconds * 1000), jti: claims.jti },
    { scope: claims.scope, client_id: claims.clientId, ...(claims.act === undefined ? {} : { act: { sub: claims.act.sub } }), ...(claims.jkt === undefined ? {} : { cnf: { jkt: claims.jkt } }) },
  )
}

/**
 * Signature (a key this broker publishes), `typ` at+jwt, issuer and expiry. Whether the grant
 * behind it is still live is the caller's to check. Throws TokenInvalid with a reason.
 */
export async function verifyAccessToken(keys: KeyRing, clock: Clock, issuer: string, token: string): Promise<VerifiedAccessToken> {
  const payload = await verifyBrokerJwt(keys, clock, { typ: accessTokenType, otherTypeReason: 'not an access token', algorithms: ['RS256', 'ES256'], issuer, requiredClaims: ['sub', 'aud', 'exp', 'iat', 'jti'] }, token)
  const { sub, jti, aud, scope, client_id: clientId, cnf } = payload as typeof payload & { cnf?: { jkt?: unknown } }
  if (typeof sub !== 'string' || typeof jti !== 'string' || typeof aud !== 'string') throw new TokenInvalid('claims have the wrong types')
  if (cnf !== undefined && typeof cnf?.jkt !== 'string') throw new TokenInvalid('claim "cnf" is invalid')
  return {
    handle: sub,
    jti,
    audience: aud,
    scope: typeof scope === 'string' ? scope : '',
    clientId: typeof clientId === 'string' ? clientId : sub,
    issuedAt: new Date((payload.iat ?? 0) * 1000),
    expiresAt: new Date((payload.exp ?? 0) * 1000),
    ...(cnf === undefined ? {} : { jkt: cnf.jkt as string }),
  }
}
