import { SignJWT, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose'
import { randomUUID } from 'node:crypto'
import { TokenInvalid } from '../errors.js'
import type { Clock } from '../ports/clock.js'
import type { KeyRing } from './key-ring.js'

/** The JOSE `typ` of a handle token. Assertions and other JWTs carry other types, so neither can
 * be presented as the other (RFC 8725 3.11, explicit typing). */
export const handleTokenType = 'lanyard-handle+jwt'

export interface HandleTokenClaims {
  readonly handle: string
  readonly generation: number
  readonly jti: string
  readonly issuedAt: Date
  readonly expiresAt: Date
}

export interface HandleTokens {
  mint(handle: string, generation: number): Promise<{ token: string; claims: HandleTokenClaims }>
  /** Signature, type, issuer, audience and expiry. Status, generation and revocation are the
   * caller's to check against the store. Throws TokenInvalid with a reason. */
  verify(token: string): Promise<HandleTokenClaims>
}

export function createHandleTokens(deps: { keys: KeyRing; clock: Clock; issuer: string; ttlSeconds: number }): HandleTokens {
  const { keys, clock, issuer, ttlSeconds } = deps
  return {
    async mint(handle, generation) {
      const signing = await keys.signingKey('EdDSA')
      const now = clock.now()
      const issuedAt = Math.floor(now.getTime() / 1000)
      const claims: HandleTokenClaims = {
        handle,
        generation,
        jti: randomUUID(),
        issuedAt: new Date(issuedAt * 1000),
        expiresAt: new Date((issuedAt + ttlSeconds) * 1000),
      }
      const token = await new SignJWT({ gen: generation })
        .setProtectedHeader({ alg: 'EdDSA', kid: signing.kid, typ: handleTokenType })
        .setIssuer(issuer)
        .setSubject(handle)
        .setAudience(issuer)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + ttlSeconds)
        .setJti(claims.jti)
        .sign(signing.privateKey)
      return { token, claims }
    },
    async verify(token) {
      let kid: string | undefined
      try {
        const header = decodeProtectedHeader(token)
        if (header.typ !== handleTokenType) throw new TokenInvalid('not a handle token')
        kid = header.kid
      } catch (error) {
        if (error instanceof TokenInvalid) throw error
        throw new TokenInvalid('malformed token')
      }
      const key = kid === undefined ? undefined : await keys.verificationKey(kid)
      if (key === undefined || key.alg !== 'EdDSA') throw new TokenInvalid('signed by a key this broker does not publish')
      try {
        const { payload } = await jwtVerify(token, key.key, {
          algorithms: ['EdDSA'],
          typ: handleTokenType,
          issuer,
          audience: issuer,
          currentDate: clock.now(),
          requiredClaims: ['sub', 'exp', 'iat', 'jti', 'gen'],
        })
        if (typeof payload.gen !== 'number' || typeof payload.sub !== 'string' || typeof payload.jti !== 'string') throw new TokenInvalid('claims have the wrong types')
        return {
          handle: payload.sub,
          generation: payload.gen,
          jti: payload.jti,
          issuedAt: new Date((payload.iat ?? 0) * 1000),
          expiresAt: new Date((payload.exp ?? 0) * 1000),
        }
      } catch (error) {
        if (error instanceof TokenInvalid) throw error
        if (error instanceof joseErrors.JWTExpired) throw new TokenInvalid('expired')
        if (error instanceof joseErrors.JWTClaimValidationFailed) throw new TokenInvalid(`claim "${error.claim}" is invalid`)
        throw new TokenInvalid('signature or format is invalid')
      }
    },
  }
}
