import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose'
import type { JWTPayload } from 'jose'
import { TokenInvalid } from '../errors.js'
import type { Clock } from '../ports/clock.js'
import type { KeyRing, SigningAlg } from './key-ring.js'

/** What one kind of broker-signed JWT must be, beside its signature. */
export interface BrokerJwtKind {
  /** The protected header's explicit `typ` (RFC 8725 3.11): no other kind carries it. */
  readonly typ: string
  /** The TokenInvalid reason for a JWT of another `typ`; callers may branch on it (introspection tries the next kind). */
  readonly otherTypeReason: string
  /** The key algorithms this kind is signed with; a key of another algorithm is refused. */
  readonly algorithms: readonly SigningAlg[]
  readonly issuer: string
  /** Checked when given. */
  readonly audience?: string
  readonly requiredClaims: readonly string[]
}

/**
 * The one place the broker verifies a JWT it signed itself (the mirror of signJwt): `typ`
 * first, from the unverified header; then its `kid` must name a key this broker publishes, of
 * one of the kind's algorithms; then jose checks the signature, `typ`, `iss`, `aud` when given,
 * expiry against `clock` and the required claims. Every refusal is TokenInvalid with a reason
 * safe to send; jose's errors never leave. The claims' types are the caller's to check.
 */
export async function verifyBrokerJwt(keys: KeyRing, clock: Clock, kind: BrokerJwtKind, token: string): Promise<JWTPayload> {
  let kid: string | undefined
  try {
    const header = decodeProtectedHeader(token)
    if (header.typ !== kind.typ) throw new TokenInvalid(kind.otherTypeReason)
    kid = header.kid
  } catch (error) {
    if (error instanceof TokenInvalid) throw error
    throw new TokenInvalid('malformed token')
  }
  const key = kid === undefined ? undefined : await keys.verificationKey(kid)
  if (key === undefined || !kind.algorithms.includes(key.alg)) throw new TokenInvalid('signed by a key this broker does not publish')
  try {
    const { payload } = await jwtVerify(token, key.key, {
      algorithms: [key.alg],
      typ: kind.typ,
      issuer: kind.issuer,
      ...(kind.audience === undefined ? {} : { audience: kind.audience }),
      currentDate: clock.now(),
      requiredClaims: [...kind.requiredClaims],
    })
    return payload
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new TokenInvalid('expired')
    if (error instanceof joseErrors.JWTClaimValidationFailed) throw new TokenInvalid(`claim "${error.claim}" is invalid`)
    throw new TokenInvalid('signature or format is invalid')
  }
}
