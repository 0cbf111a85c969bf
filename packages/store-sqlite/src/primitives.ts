import type { PrimitiveStore } from '@lanyard/core'
import { ms, type SqliteDatabase } from './database.js'

/** Expired replay and revoked-token rows each write sweeps: bounded work per call, and the
 * tables stay at roughly one row per live entry. */
const purgeBatch = 16

/** The replay cache (`used_once`), revoked handle tokens (`revoked_tokens`), health and close. */
export function createPrimitiveMethods(db: SqliteDatabase): PrimitiveStore {
  return {
    async useOnce(key: string, expiresAt: Date, now: Date): Promise<boolean> {
      return db.write(() => {
        db.sql('DELETE FROM used_once WHERE rowid IN (SELECT rowid FROM used_once WHERE expires_at <= ? LIMIT ?)').run(ms(now), purgeBatch)
        const seen = db.sql('SELECT expires_at FROM used_once WHERE key = ?').pluck().get(key) as number | undefined
        if (seen !== undefined && seen > ms(now)) return false
        db.sql('INSERT INTO used_once (key, expires_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at').run(key, ms(expiresAt))
        return true
      })
    },

    async revokeToken(jti: string, expiresAt: Date): Promise<void> {
      await db.write(() => {
        db.sql('DELETE FROM revoked_tokens WHERE rowid IN (SELECT rowid FROM revoked_tokens WHERE expires_at <= ? LIMIT ?)').run(ms(db.clock.now()), purgeBatch)
        db.sql('INSERT INTO revoked_tokens (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)').run(jti, ms(expiresAt))
      })
    },

    async isTokenRevoked(jti: string, now: Date): Promise<boolean> {
      return db.statement(() => db.sql('SELECT 1 FROM revoked_tokens WHERE jti = ? AND expires_at > ?').get(jti, ms(now)) !== undefined)
    },

    async ping(): Promise<void> {
      db.statement(() => db.sql('SELECT 1').get())
    },

    async close(): Promise<void> {
      db.close()
    },
  }
}
