import { createHash } from 'node:crypto'

/** Attribution keys this connector writes into a grant's index. Hashes and ids only. */
export const whoisKeys = ['oauth_token_sha256', 'oauth_jti'] as const

/**
 * base64url(SHA-256(access token)): the value RFC 9449 puts in a DPoP proof's `ath`, so a
 * resource server's proof logs lead back to the grant. An operator holding a leaked token
 * computes the same value to ask `whois`.
 */
export function tokenSha256(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url')
}

/** The `jti` of a JWT access token (RFC 9068), read without verification: it only names the token. */
export function jwtId(token: string): string | undefined {
  const payload = token.split('.').length === 3 ? jwtPayload(token) : undefined
  return typeof payload?.['jti'] === 'string' ? payload['jti'] : undefined
}

/** The payload of a compact JWS, or undefined when the token is not one (opaque tokens). */
export function jwtPayload(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'))
    return payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** The whois index of one issued token. */
export function whoisIndex(token: string): Record<string, string> {
  const jti = jwtId(token)
  return { oauth_token_sha256: tokenSha256(token), ...(jti === undefined ? {} : { oauth_jti: jti }) }
}
