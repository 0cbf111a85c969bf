import { UpstreamRefused } from '@lanyard/connector-sdk'
import type { RevokeOutcome, RevokeRequest } from '@lanyard/connector-sdk'
import { acceptsToken, ensureNotAborted, type GitHubClient } from './client.js'
import { hashedToken } from './whois.js'

/**
 * `DELETE /installation/token` authenticated as the token itself: the only way GitHub revokes
 * an installation token. `gone` when GitHub already refuses it (401: revoked before, expired,
 * or the App was uninstalled).
 */
export async function revokeToken(client: GitHubClient, token: string, signal: AbortSignal): Promise<'revoked' | 'gone'> {
  return (await acceptsToken(client, token, 'DELETE /installation/token', signal, 'revoke the installation token')) ? 'revoked' : 'gone'
}

/**
 * Revokes one grant. Idempotent. (1) Past `expiresAt`: `expired`, GitHub is not asked.
 * (2) Without the token (the broker kept none): `unrevocable-until` its expiry. (3) A token
 * whose hash is not the grant's is refused: revoking it would hit another grant. (4) GitHub
 * answers 204: `revoked`; 401: it already refused the token, so `revoked` as well.
 * Transient trouble throws UpstreamUnavailable and the cascade retries.
 */
export async function revoke(client: GitHubClient, request: RevokeRequest, signal: AbortSignal): Promise<RevokeOutcome> {
  ensureNotAborted(client, signal, 'revoke the installation token')
  if (client.host.clock.now().getTime() >= request.expiresAt.getTime()) return { kind: 'expired' }
  if (request.secret === undefined) return { kind: 'unrevocable-until', until: request.expiresAt }
  if (request.ref.hashedToken !== hashedToken(request.secret)) {
    throw new UpstreamRefused(client.system, 'the revocation secret does not belong to this grant', { detail: `grant ${request.grantId}: token hash differs from the ref` })
  }
  await revokeToken(client, request.secret, signal)
  return { kind: 'revoked' }
}
