/**
 * `pending` is recorded before the upstream is asked; `live` once it answered, `failed` if it
 * did not. A `pending` grant found at start was interrupted by a crash and is reconciled.
 */
export type GrantStatus = 'pending' | 'live' | 'failed' | 'revoked' | 'expired'

/** One credential issued upstream. Holds references and hashes, never the credential. */
export interface Grant {
  readonly id: string
  readonly handle: string
  readonly bindingId: string
  readonly system: string
  /** Connector `type` at issue time: the revoke path is chosen by it. */
  readonly connectorType: string
  readonly scopes: readonly string[]
  readonly status: GrantStatus
  readonly createdAt: Date
  readonly expiresAt?: Date
  /** The connector's UpstreamRef: what it needs to revoke and attribute. JSON, no secret. */
  readonly ref?: unknown
  /** Attribution keys for whois (`github_hashed_token`, `aws_access_key_id`, ...). */
  readonly index: Readonly<Record<string, string>>
  /**
   * The credential itself, sealed under the master key, kept only where the upstream revokes
   * by being shown the token (GitHub, RFC 7009). Erased when revoked or expired.
   */
  readonly sealedSecret?: string
  /** The approval this grant spent, and who gave it (approved exchanges only). */
  readonly approval?: { readonly id: string; readonly by: string }
  readonly error?: string
  readonly endedAt?: Date
}

/**
 * Whether a revocation at `at` has anything to cut: pending (it may yet go live), or live and
 * not yet expired. A grant stays `live` on record after its credential expires.
 */
export function isOpenAt(grant: Grant, at: Date): boolean {
  return grant.status === 'pending' || (grant.status === 'live' && (grant.expiresAt === undefined || grant.expiresAt > at))
}
