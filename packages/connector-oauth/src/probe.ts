import type { RevokeRequest } from '@lanyard/connector-sdk'
import * as oidc from 'openid-client'
import type { OAuthClient } from './client.js'
import type { OAuthRef } from './issue.js'

/**
 * Is this credential still usable? (1) Past its expiry: `dead`. (2) A JWT where resource
 * servers validate JWTs alone (`resourceServers: local-jwt`), or one the server does not track:
 * `alive` until it expires, whatever introspection says. (3) A JWT where resource servers
 * consume Lanyard's events: `unknown` (only they can tell). (4) A tracked token: RFC 7662
 * decides. (5) Without the token, the client or an introspection endpoint: `unknown`.
 */
export async function probe(oauth: OAuthClient, request: RevokeRequest, signal: AbortSignal): Promise<'dead' | 'alive' | 'unknown'> {
  if (request.expiresAt.getTime() <= oauth.host.clock.now().getTime()) return 'dead'
  const ref = request.ref as unknown as OAuthRef
  if (ref.format === 'jwt' && oauth.config.resourceServers === 'local-jwt') return 'alive'
  if (ref.format === 'jwt' && oauth.config.resourceServers === 'events') return 'unknown'
  if (!ref.tracked) return ref.format === 'jwt' ? 'alive' : 'unknown'
  const client = oauth.client(ref.clientId)
  if (request.secret === undefined || !client) return 'unknown'
  const token = request.secret
  const configuration = await oauth.configuration(client, signal)
  if (!configuration.serverMetadata().introspection_endpoint) return 'unknown'
  const answer = await oauth.call('idempotent', signal, () => oidc.tokenIntrospection(configuration, token, { token_type_hint: 'access_token' }))
  return answer.active ? 'alive' : 'dead'
}
