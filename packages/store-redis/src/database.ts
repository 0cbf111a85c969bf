import { StoreUnavailable, systemClock, type Clock } from '@lanyard/core'
import { call, driverFailure, type RedisClient, type ReplicaWait } from './connection.js'
import { redisKeys, type RedisKeys } from './keys.js'
import { HeadCache, mutate as mutateOn, type Planned, type Transaction } from './transaction.js'

export interface RedisStoreOptions {
  readonly keyPrefix: string
  /** Read by `revokeToken` (to size a TTL) and `listUnannounced` (to age out entries whose
   * revocation never committed); every other time comes from the caller. */
  readonly clock?: Clock
  /** Replica acknowledgement every commit waits for (durability.ts); none by default. */
  readonly wait?: ReplicaWait
}

/** A best-effort index write (see keys.ts (2)): run before or after a commit, never inside it. */
type IndexWrite = () => Promise<unknown>

/**
 * The plumbing every area file of this store runs on: the client, the key layout, the guarded
 * commit loop and the cross-slot index writes. Each area's `create<Area>Methods(db)` takes this
 * and nothing else.
 */
export interface RedisDatabase {
  readonly client: RedisClient
  readonly keys: RedisKeys
  readonly clock: Clock
  /** Reads several keys of one agent as one snapshot (MULTI: one slot, one round trip). */
  snapshot(commands: (string | number)[][]): Promise<unknown[]>
  /** Plans and commits one guarded write, planning again when a guard moved (transaction.ts). */
  mutate<T>(plan: () => Promise<Planned<T>>): Promise<T>
  /** Commits one transaction: true, or false when a guard no longer held (nothing written). */
  commit(txn: Transaction): Promise<boolean>
  /** The chain heads this store predicts for sealAudit (transaction.ts). */
  readonly heads: HeadCache
  /** Replica acknowledgement each commit waits for, if required. */
  readonly wait: ReplicaWait | undefined
  readonly index: {
    readonly zadd: (key: string, score: number, member: string) => IndexWrite
    /** Updates a score only if the entry is still there: a finished task is not brought back. */
    readonly rescore: (key: string, score: number, member: string) => IndexWrite
    readonly zrem: (key: string, member: string) => IndexWrite
    readonly sadd: (key: string, member: string) => IndexWrite
  }
  isClosed(): boolean
  /** Idempotent: marks the store closed and releases the client once. */
  close(): Promise<void>
}

/** For index repairs whose failure changes nothing: the next reader repairs again. */
export const noop = () => undefined

export function createDatabase(client: RedisClient, options: RedisStoreOptions, onClose: () => Promise<void>): RedisDatabase {
  let closed = false
  const heads = new HeadCache()
  return {
    client,
    keys: redisKeys(options.keyPrefix),
    clock: options.clock ?? systemClock,

    async snapshot(commands) {
      const replies = await call(() => client.multi(commands).exec())
      if (replies === null) throw new StoreUnavailable({ detail: 'snapshot transaction was discarded' })
      return replies.map(([error, value]) => {
        if (error) throw driverFailure(error)
        return value
      })
    },

    mutate: (plan) => mutateOn(client, plan, options.wait, heads),
    commit: (txn) => txn.commit(client, options.wait, heads),
    heads,
    wait: options.wait,

    index: {
      zadd: (key, score, member) => () => call(() => client.zadd(key, score, member)),
      rescore: (key, score, member) => () => call(() => client.zadd(key, 'XX', score, member)),
      zrem: (key, member) => () => call(() => client.zrem(key, member)),
      sadd: (key, member) => () => call(() => client.sadd(key, member)),
    },

    isClosed: () => closed,

    async close() {
      if (closed) return
      closed = true
      await onClose()
    },
  }
}
