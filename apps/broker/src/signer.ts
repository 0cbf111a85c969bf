import { randomUUID } from 'node:crypto'
import { signAccessToken, signJwt, type BrokerSigner, type Clock, type KeyRing, type Store } from '@lanyard/core'
import type { RevocationStream } from './events/revocation-stream.js'

/**
 * Lent to connectors: OIDC ID tokens for an agent and RFC 9068 access tokens for resource
 * servers, signed with keys from the broker's JWKS; and the revocation of such an access token
 * (recorded in the store, so introspection answers inactive, and streamed to resource servers).
 */
export function createSigner(keys: KeyRing, clock: Clock, issuer: string, tokens: { store: Store; stream: RevocationStream }): BrokerSigner {
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
    signAccessToken: (claims, alg) => signAccessToken(keys, clock, issuer, claims, alg),
    async revokeAccessToken({ jti, sub, expiresAt }) {
      await tokens.store.revokeToken(jti, expiresAt)
      await tokens.stream.publishToken({ jti, sub })
    },
  }
}
