import { SignJWT } from 'jose'
import type { KeyRing, SigningAlg } from './key-ring.js'

/** The registered claims (RFC 7519 §4.1) a Lanyard JWT may carry; times in whole seconds. */
export interface JwtClaims {
  readonly issuer: string
  readonly subject?: string
  readonly audience?: string
  readonly issuedAt: Date
  /** Omitted for statements of fact (receipts, SETs): they do not expire. */
  readonly expiresAt?: Date
  readonly jti: string
}

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000)

/**
 * The one place the broker signs a JWT (handle tokens, revocation receipts, SETs, ID tokens
 * lent to connectors): the key ring's current key for `alg`, its `kid` and the explicit `typ`
 * in the protected header (RFC 8725 §3.11, so one kind is never taken for another), the
 * registered claims from `claims` and the rest from `payload`.
 */
export async function signJwt(keys: KeyRing, header: { readonly alg: SigningAlg; readonly typ: string }, claims: JwtClaims, payload: Record<string, unknown> = {}): Promise<string> {
  const key = await keys.signingKey(header.alg)
  const jwt = new SignJWT(payload).setProtectedHeader({ alg: header.alg, kid: key.kid, typ: header.typ }).setIssuer(claims.issuer).setIssuedAt(seconds(claims.issuedAt)).setJti(claims.jti)
  if (claims.subject !== undefined) jwt.setSubject(claims.subject)
  if (claims.audience !== undefined) jwt.setAudience(claims.audience)
  if (claims.expiresAt !== undefined) jwt.setExpirationTime(seconds(claims.expiresAt))
  return jwt.sign(key.privateKey)
}
