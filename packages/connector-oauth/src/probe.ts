import type { RevokeRequest } from '@lanyard/connector-sdk'
import * as oidc from 'openid-client'
import type { OAuthClient } from './client.js'
import type { OAuthRef } from './issue.js'

/**
 * Is this credential still usable? (1) Past its expiry: `dead`. (2) A JWT the server does not
 * track: `alive` until it expires, whatever introspection says, because resource servers
 * validate it alone. (3) A tracked token: RFC 7662 decides. (4) Without the token, the client
 * or an introspection endpoint: `unknown`.
 */
export async function probe(oauth: OAuthClient, request: RevokeRequest, signal: AbortSignal): Promise<'dead' | 'alive' | 'unknown'> {
  if (request.expiresAt.getTime() <= oauth.host.clock.now().getTime()) return 'dead'
  const ref = request.ref as unknown as OAuthRef
  if (!ref.tracked) return ref.format === 'jwt' ? 'alive' : 'unknown'
  const client = oauth.client(ref.clientId)
  if (request.secret === undefined || !client) return 'unknown'
  const token = request.secret
  const configuration = await oauth.configuration(client, signal)
  if (!configuration.serverMetadata().introspection_endpoint) return 'unknown'
  const answer = await oauth.call('idempotent', signal, () => oidc.tokenIntrospection(configuration, token, { token_type_hint: 'access_token' }))
  return answer.active ? 'alive' : 'dead'
}
