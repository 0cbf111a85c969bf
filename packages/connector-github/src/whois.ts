import { createHash } from 'node:crypto'

/** The whois key this connector writes: `GET /v1/whois?github_hashed_token=...`. */
export const hashedTokenKey = 'github_hashed_token'

/**
 * The `hashed_token` field of GitHub's audit log for a token: base64 of its SHA-256. Stored
 * in the grant's ref and index, so an audit-log line leads back to the agent.
 */
export function hashedToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64')
}

/** The grant's attribution index: hashes only, never the token. */
export function whoisIndex(token: string): Record<string, string> {
  return { [hashedTokenKey]: hashedToken(token) }
}
