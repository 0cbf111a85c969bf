import type { SigningKeyRecord, SigningKeyStore } from '@lanyard/core'
import { json, ms, type SqliteDatabase } from './database.js'
import { toSigningKey, type SigningKeyRow } from './rows.js'

/** The broker's signing keys (table `signing_keys`). */
export function createSigningKeyMethods(db: SqliteDatabase): SigningKeyStore {
  return {
    async putSigningKey(key: SigningKeyRecord): Promise<void> {
      await db.write(() => {
        // A kid is the key's thumbprint: the same kid is the same key, first write wins.
        db.sql('INSERT INTO signing_keys (kid, alg, public_jwk, sealed_private_key, created_at, retired_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kid) DO NOTHING').run(
          key.kid, key.alg, json(key.publicJwk), key.sealedPrivateKey, ms(key.createdAt), key.retiredAt ? ms(key.retiredAt) : null,
        )
      })
    },

    async retireSigningKey(kid: string, at: Date): Promise<void> {
      await db.write(() => {
        db.sql('UPDATE signing_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL').run(ms(at), kid)
      })
    },

    async listSigningKeys(): Promise<SigningKeyRecord[]> {
      return db.statement(() => db.sql('SELECT * FROM signing_keys ORDER BY created_at, kid').all() as SigningKeyRow[]).map(toSigningKey)
    },
  }
}
