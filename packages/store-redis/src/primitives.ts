import type { PrimitiveStore } from '@lanyard/core'
import { call, defineScript } from './connection.js'
import type { RedisDatabase } from './database.js'
import { useOnceLua } from './scripts/use-once.js'

const useOnceScript = defineScript(useOnceLua)

/** The replay cache (`once`), revoked handle tokens (`revokedToken`), health and close:
 * single-key globals, atomic on their own (keys.ts (3)). */
export function createPrimitiveMethods(db: RedisDatabase): PrimitiveStore {
  const { client, keys, clock } = db
  return {
    async useOnce(key, expiresAt, now) {
      const ttlMs = Math.max(1, expiresAt.getTime() - now.getTime())
      return (await useOnceScript(client, [keys.once(key)], [expiresAt.getTime(), now.getTime(), ttlMs])) === 1
    },

    async revokeToken(jti, expiresAt) {
      // The record holds the expiry, compared with the caller's `now`; the TTL only frees memory
      // and never undercuts it (a minute of slack for clock skew between replicas).
      const ttlMs = Math.max(60_000, expiresAt.getTime() - clock.now().getTime() + 60_000)
      await call(() => client.set(keys.revokedToken(jti), String(expiresAt.getTime()), 'PX', ttlMs))
    },

    async isTokenRevoked(jti, now) {
      const until = await call(() => client.get(keys.revokedToken(jti)))
      return until !== null && Number(until) > now.getTime()
    },

    async ping() {
      await call(() => client.ping())
    },

    close: () => db.close(),
  }
}
