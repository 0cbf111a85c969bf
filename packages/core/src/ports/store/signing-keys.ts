export interface SigningKeyRecord {
  readonly kid: string
  readonly alg: string
  readonly publicJwk: Readonly<Record<string, string>>
  /** The private JWK, sealed under the master key. */
  readonly sealedPrivateKey: string
  readonly createdAt: Date
  /** Set at rotation; the key stays published until tokens it signed have expired. */
  readonly retiredAt?: Date
}

/** The broker's own signing keys (the key ring). Conformance: `testing/store/signing-keys.ts`. */
export interface SigningKeyStore {
  /** Idempotent on `kid` (a kid is the key's thumbprint): the first write wins, so putting a
   * key again never undoes its retirement. */
  putSigningKey(key: SigningKeyRecord): Promise<void>
  /** Marks a key retired (still published, no longer used to sign). */
  retireSigningKey(kid: string, at: Date): Promise<void>
  listSigningKeys(): Promise<SigningKeyRecord[]>
}
