import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import { signAccessToken, type BrokerSigner, type Clock, type KeyRing, type Store } from '@lanyard/core'
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
    signAccessToken: (claims, alg) => signAccessToken(keys, clock, issuer, claims, alg),
    async revokeAccessToken({ jti, sub, expiresAt }) {
      await tokens.store.revokeToken(jti, expiresAt)
      await tokens.stream.publishToken({ jti, sub })
    },
  }
}
