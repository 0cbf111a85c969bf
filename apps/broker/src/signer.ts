import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import type { BrokerSigner, Clock, KeyRing } from '@lanyard/core'

/** Lent to connectors: OIDC ID tokens for an agent, signed with a key from the broker's JWKS. */
export function createSigner(keys: KeyRing, clock: Clock, issuer: string): BrokerSigner {
  return {
    issuer,
    async signIdToken(claims, alg = 'RS256') {
      const key = await keys.signingKey(alg)
      const now = Math.floor(clock.now().getTime() / 1000)
      return new SignJWT({ ...claims.extra })
        .setProtectedHeader({ alg, kid: key.kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setSubject(claims.sub)
        .setAudience(claims.aud)
        .setIssuedAt(now)
        .setExpirationTime(now + claims.ttlSeconds)
        .setJti(randomUUID())
        .sign(key.privateKey)
    },
  }
}
