/** What is not a record of any area: the replay cache, revoked handle tokens, and the store's
 * own health and lifetime. Conformance: `testing/store/primitives.ts`. */
export interface PrimitiveStore {
  /** Replay cache. True the first time `key` is seen before `expiresAt`; false after. Atomic. */
  useOnce(key: string, expiresAt: Date, now: Date): Promise<boolean>
  /** Handle tokens revoked through /oauth/revoke, remembered until they expire. */
  revokeToken(jti: string, expiresAt: Date): Promise<void>
  isTokenRevoked(jti: string, now: Date): Promise<boolean>

  /** Health probe for /readyz: throws StoreUnavailable if the backend is not answering. */
  ping(): Promise<void>
  /** Idempotent. Afterwards every method rejects with StoreUnavailable. */
  close(): Promise<void>
}
