import type { KeyObject } from 'node:crypto'
import { compactVerify, decodeJwt, decodeProtectedHeader } from 'jose'
import { GitHubError, messages } from './github-error.js'

/** GitHub refuses an App JWT whose `exp` lies more than 10 minutes ahead of its own clock. */
export const maxJwtLifetimeSeconds = 600

/**
 * Checks an App JWT the way GitHub does and returns the App id it authenticates.
 * (1) undecodable or not RS256 -> 401 "could not be decoded"; (2) `iss` names no App -> 401
 * "Integration not found"; (3) signature not by that App's key -> 401 "could not be decoded";
 * (4) `iat` not an integer or in the future, `exp` not in the future or more than 600 s ahead
 * -> 401 with the claim messages octokit's auth-app matches to correct clock skew.
 */
export async function verifyAppJwt(jwt: string, publicKeyOf: (appId: number) => KeyObject | undefined, nowSeconds: number): Promise<number> {
  const undecodable = new GitHubError(401, messages.jwtUndecodable)
  let claims: ReturnType<typeof decodeJwt>
  try {
    if (decodeProtectedHeader(jwt).alg !== 'RS256') throw undecodable
    claims = decodeJwt(jwt)
  } catch {
    throw undecodable
  }
  const appId = typeof claims.iss === 'string' && /^[1-9][0-9]*$/.test(claims.iss) ? Number(claims.iss) : claims.iss
  const publicKey = typeof appId === 'number' ? publicKeyOf(appId) : undefined
  if (typeof appId !== 'number' || publicKey === undefined) throw new GitHubError(401, messages.integrationNotFound)
  try {
    await compactVerify(jwt, publicKey, { algorithms: ['RS256'] })
  } catch {
    throw undecodable
  }
  const { iat, exp } = claims
  if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > nowSeconds) throw new GitHubError(401, messages.iatInvalid)
  if (typeof exp !== 'number' || exp <= nowSeconds) throw new GitHubError(401, messages.expInPast)
  if (exp > nowSeconds + maxJwtLifetimeSeconds) throw new GitHubError(401, messages.expTooFar)
  return appId
}
