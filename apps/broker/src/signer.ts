import { randomUUID } from 'node:crypto'
import { signJwt, type BrokerSigner, type Clock, type KeyRing } from '@lanyard/core'

/** Lent to connectors: OIDC ID tokens for an agent, signed with a key from the broker's JWKS. */
export function createSigner(keys: KeyRing, clock: Clock, issuer: string): BrokerSigner {
  return {
    issuer,
    async signIdToken(claims, alg = 'RS256') {
      const now = new Date(Math.floor(clock.now().getTime() / 1000) * 1000)
      return signJwt(
        keys,
        { alg, typ: 'JWT' },
        { issuer, subject: claims.sub, audience: claims.aud, issuedAt: now, expiresAt: new Date(now.getTime() + claims.ttlSeconds * 1000), jti: randomUUID() },
        { ...claims.extra },
      )
    },
  }
}
