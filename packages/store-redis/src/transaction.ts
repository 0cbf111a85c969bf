import { setTimeout as delay } from 'node:timers/promises'
import { StoreUnavailable, sealAuditEvent, type AuditDraft, type AuditEvent } from '@lanyard/core'
import { encode } from './codec.js'
import type { RedisKeys } from './keys.js'
import { defineScript, type RedisClient, type ReplicaWait } from './connection.js'
import { commitLua } from './scripts/commit.js'

type Guard = [keyIndex: number, field: string, expected: string | false]
type Op = [command: 'SET' | 'HSET' | 'HDEL' | 'RPUSH' | 'ZADD' | 'ZREM' | 'ZREMRANGEBYSCORE' | 'SADD' | 'SREM', keyIndex: number, ...args: string[]]

const runCommit = defineScript(commitLua)

/**
 * One guarded write, built in Node and applied by scripts/commit.ts. Every key must share one
 * hash tag; the builder does not check that, Redis Cluster does (CROSSSLOT) and the cluster
 * conformance run would fail.
 */
export class Transaction {
  readonly #keys: string[] = []
  readonly #guards: Guard[] = []
  readonly #ops: Op[] = []

  #index(key: string): number {
    const found = this.#keys.indexOf(key)
    if (found >= 0) return found + 1
    this.#keys.push(key)
    return this.#keys.length
  }

  /** Commit only if `key` (or its hash `field`) still holds `expected` (null: absent). */
  expect(key: string, expected: string | null | undefined, field = ''): this {
    this.#guards.push([this.#index(key), field, expected ?? false])
    return this
  }

  set(key: string, value: string): this {
    this.#ops.push(['SET', this.#index(key), value])
    return this
  }

  hset(key: string, field: string, value: string): this {
    this.#ops.push(['HSET', this.#index(key), field, value])
    return this
  }

  hdel(key: string, field: string): this {
    this.#ops.push(['HDEL', this.#index(key), field])
    return this
  }

  rpush(key: string, value: string): this {
    this.#ops.push(['RPUSH', this.#index(key), value])
    return this
  }

  zadd(key: string, score: number, member: string): this {
    this.#ops.push(['ZADD', this.#index(key), String(score), member])
    return this
  }

  zrem(key: string, member: string): this {
    this.#ops.push(['ZREM', this.#index(key), member])
    return this
  }

  /** Removes the members scored `min` to `max` (Redis range syntax: `-inf`, `(123`). */
  zremrangebyscore(key: string, min: string, max: string): this {
    this.#ops.push(['ZREMRANGEBYSCORE', this.#index(key), min, max])
    return this
  }

  sadd(key: string, member: string): this {
    this.#ops.push(['SADD', this.#index(key), member])
    return this
  }

  srem(key: string, member: string): this {
    this.#ops.push(['SREM', this.#index(key), member])
    return this
  }

  /**
   * Seals `draft` onto the chain head read as `head` and appends it, guarded on that head: the
   * write commits only if no other audited write of this agent came in between.
   */
  appendAudit(keys: RedisKeys, handle: string, head: string | null | undefined, draft: AuditDraft): AuditEvent {
    const event = sealAuditEvent(handle, parseHead(head), draft)
    this.expect(keys.head(handle), head)
    this.set(keys.head(handle), `${event.seq}:${event.hash}`)
    this.rpush(keys.audit(handle), encode(event))
    return event
  }

  /**
   * True if committed; false if a guard no longer held (nothing was written). With `wait`, a
   * commit is answered only once that many replicas hold it (StoreUnavailable otherwise).
   */
  async commit(client: RedisClient, wait?: ReplicaWait): Promise<boolean> {
    const result = await runCommit(client, this.#keys, [encode({ guards: this.#guards, ops: this.#ops })], wait)
    return result === 0
  }
}

/** The chain head is stored as `<seq>:<hash>` beside the events. */
function parseHead(head: string | null | undefined): Pick<AuditEvent, 'seq' | 'hash'> | undefined {
  if (head === null || head === undefined) return undefined
  const colon = head.indexOf(':')
  return { seq: Number(head.slice(0, colon)), hash: head.slice(colon + 1) }
}

/**
 * A write worked out from what was read: the guarded commit, derived index entries to write
 * before it (a superset that readers verify) and to remove after it (best effort; readers
 * repair what is left). No `write` (and not `again`): nothing to do, `result` is the answer.
 */
export interface Planned<T> {
  readonly result: T
  /** What was read is already stale (another writer got there between two reads): read again. */
  readonly again?: boolean
  readonly write?: {
    readonly txn: Transaction
    readonly before?: readonly (() => Promise<unknown>)[]
    readonly after?: readonly (() => Promise<unknown>)[]
  }
}

// Optimistic writes retry when another writer moved what they read first (for an agent: its
// chain head). 24 replicas bumping one agent at once converge in 24 rounds; 200 leaves room,
// and past it the write is reported unavailable (retryable) rather than spinning. From round 3
// on, a jittered pause of up to `round` ms (20 ms at most) spreads the contenders out.
const maxRounds = 200

/** Read, decide, commit guarded on what was read; on conflict read and decide again. */
export async function mutate<T>(client: RedisClient, plan: () => Promise<Planned<T>>, wait?: ReplicaWait): Promise<T> {
  for (let round = 1; ; round++) {
    const { result, write, again } = await plan()
    if (!again) {
      if (write === undefined) return result
      await Promise.all((write.before ?? []).map((step) => step()))
      if (await write.txn.commit(client, wait)) {
        await Promise.allSettled((write.after ?? []).map((step) => step()))
        return result
      }
    }
    if (round >= maxRounds) throw new StoreUnavailable({ detail: `write abandoned after ${maxRounds} conflicting rounds` })
    if (round > 2) await delay(Math.random() * Math.min(round, 20))
  }
}
