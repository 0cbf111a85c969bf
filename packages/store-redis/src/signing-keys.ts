import type { SigningKeyStore } from '@lanyard/core'
import { decodeAll, decodeSigningKey, encode } from './codec.js'
import { call } from './connection.js'
import type { RedisDatabase } from './database.js'
import { Transaction } from './transaction.js'

/** The broker's signing keys: one global hash (`signingKeys`), field = kid. */
export function createSigningKeyMethods(db: RedisDatabase): SigningKeyStore {
  const { client, keys, mutate } = db
  return {
    async putSigningKey(key) {
      // HSETNX: putting a key again never undoes its retirement.
      await call(() => client.hsetnx(keys.signingKeys, key.kid, encode(key)))
    },

    async retireSigningKey(kid, at) {
      await mutate(async () => {
        const raw = await call(() => client.hget(keys.signingKeys, kid))
        const key = decodeSigningKey(raw)
        if (key === undefined || key.retiredAt !== undefined) return { result: undefined }
        const txn = new Transaction().expect(keys.signingKeys, raw, kid).hset(keys.signingKeys, kid, encode({ ...key, retiredAt: at }))
        return { result: undefined, write: { txn } }
      })
    },

    async listSigningKeys() {
      return decodeAll(await call(() => client.hvals(keys.signingKeys)), decodeSigningKey, (k) => `${k.createdAt.toISOString()} ${k.kid}`)
    },
  }
}
