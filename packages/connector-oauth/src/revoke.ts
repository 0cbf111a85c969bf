import type { RevokeOutcome, RevokeRequest } from '@lanyard/connector-sdk'
import * as oidc from 'openid-client'
import { oauthErrorCode } from './client.js'
import type { OAuthClient } from './client.js'
import type { OAuthRef } from './issue.js'

/**
 * RFC 7009 at the server's revocation endpoint, confirmed by RFC 7662 where the server offers
 * it. Idempotent: the server answers 200 for a token it no longer knows. Outcomes:
 * (1) past `expiresAt`: `expired`, nothing asked;
 * (2) no token kept, no revocation endpoint, or a client no longer configured:
 *     `unrevocable-until` the expiry;
 * (3) a JWT where resource servers validate JWTs alone (`resourceServers: local-jwt`, the
 *     default): `unrevocable-until` its expiry once RFC 7009 was asked, whatever the server now
 *     says: Okta and Keycloak track their JWTs and answer inactive, yet a resource server that
 *     checks only the signature accepts the token until `exp`;
 * (4) a JWT where resource servers consume Lanyard's revocation events: `revoked`;
 * (5) revoked, and the server tracks the token (introspection now says inactive): `revoked`;
 * (6) revoked but unconfirmed (a token the server does not track, or introspection still says
 *     active): `unrevocable-until` the expiry, since resource servers may still accept it.
 * Throws UpstreamUnavailable when the server cannot be reached (the cascade retries), and
 * UpstreamRefused when it refuses the client (a final failure the operator must fix).
 */
export async function revoke(oauth: OAuthClient, request: RevokeRequest, signal: AbortSignal): Promise<RevokeOutcome> {
  if (request.expiresAt.getTime() <= oauth.host.clock.now().getTime()) return { kind: 'expired' }
  const unrevocable: RevokeOutcome = { kind: 'unrevocable-until', until: request.expiresAt }
  const ref = request.ref as unknown as OAuthRef
  const client = oauth.client(ref.clientId)
  if (request.secret === undefined || !client) {
    if (!client) oauth.host.log.warn({ system: oauth.system, grantId: request.grantId }, 'the grant\'s client is no longer configured; it cannot be revoked')
    return unrevocable
  }
  const token = request.secret
  const configuration = await oauth.configuration(client, signal)
  const server = configuration.serverMetadata()
  if (!server.revocation_endpoint) return unrevocable

  try {
    await oauth.call('idempotent', signal, () => oidc.tokenRevocation(configuration, token, { token_type_hint: 'access_token' }))
  } catch (error) {
    // RFC 7009 2.2.1: the server does not revoke this type of token.
    if (oauthErrorCode(error) === 'unsupported_token_type') return unrevocable
    throw error
  }
  if (ref.format === 'jwt' && oauth.config.resourceServers === 'local-jwt') {
    oauth.host.log.info({ system: oauth.system, grantId: request.grantId, until: request.expiresAt.toISOString() }, 'a JWT access token stays valid at resource servers that validate it alone, until it expires')
    return unrevocable
  }
  if (ref.format === 'jwt' && oauth.config.resourceServers === 'events') return { kind: 'revoked' }
  if (!ref.tracked) return unrevocable
  if (server.introspection_endpoint) {
    const after = await oauth.call('idempotent', signal, () => oidc.tokenIntrospection(configuration, token, { token_type_hint: 'access_token' }))
    if (after.active) {
      oauth.host.log.warn({ system: oauth.system, grantId: request.grantId }, 'the server accepted the revocation but still reports the token active')
      return unrevocable
    }
  }
  return { kind: 'revoked' }
}
