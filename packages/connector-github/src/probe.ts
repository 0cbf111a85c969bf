import type { RevokeRequest } from '@lanyard/connector-sdk'
import { acceptsToken, type GitHubClient } from './client.js'

/**
 * Is the grant's token still accepted by GitHub? Asks `GET /rate_limit` as the token: it
 * needs no permission and does not count against the rate limit. 401 = dead. Without the
 * token only the clock can tell: dead after expiry, unknown before.
 */
export async function probe(client: GitHubClient, request: RevokeRequest, signal: AbortSignal): Promise<'dead' | 'alive' | 'unknown'> {
  if (request.secret === undefined) return client.host.clock.now().getTime() >= request.expiresAt.getTime() ? 'dead' : 'unknown'
  return isAlive(client, request.secret, signal)
}

export async function isAlive(client: GitHubClient, token: string, signal: AbortSignal): Promise<'dead' | 'alive'> {
  return (await acceptsToken(client, token, 'GET /rate_limit', signal, 'probe the installation token')) ? 'alive' : 'dead'
}
