import type { Database, Statement } from 'better-sqlite3'
import { StoreUnavailable, type Clock } from '@lanyard/core'
import { translateError } from './translate-error.js'

/**
 * The plumbing every area file of this store runs on: one connection, its prepared statements,
 * and the group-committed write queue. Each area's `create<Area>Methods(db)` takes this and
 * nothing else; its methods go through `read`, `statement` or `write`, never the connection.
 */
export interface SqliteDatabase {
  /** A prepared statement, compiled once per connection. Only inside `read`/`statement`/`write`. */
  sql(source: string): Statement
  /** One consistent snapshot for reads of several statements. */
  read<T>(work: () => T): T
  /** A read of one statement: SQLite makes each statement its own snapshot, no BEGIN needed. */
  statement<T>(work: () => T): T
  /** One use case, all of it or none of it, group-committed (see `createDatabase`). */
  write<T>(work: () => T): Promise<T>
  /**
   * Values this connection wrote, for its next writes (the audit chain heads): only inside
   * `write`. Trusted only while no one else wrote: emptied when a write transaction begins and
   * `PRAGMA data_version` moved (another connection, process or replica committed), and when
   * any write or the transaction rolled back.
   */
  readonly written: Map<string, unknown>
  /** Stamps bookkeeping only (purges); every recorded time comes from the caller. */
  readonly clock: Clock
  /** Idempotent: commits (or refuses) the writes already queued, then closes the connection. */
  close(): void
}

interface QueuedWrite {
  readonly work: () => unknown
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
}

type WriteResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown }

const closedError = () => new StoreUnavailable({ detail: 'the store was closed' })

/**
 * Writes are group-committed: every write queued in the same turn of the event loop runs in
 * one BEGIN IMMEDIATE transaction (a failing use case rolls back alone, see `flush`), and one
 * COMMIT (one fsync, with `synchronous=FULL`) makes them all durable before any of them
 * resolves. An fsync blocks the event loop (0.2-1.7 ms on the machines measured); per write,
 * that capped the broker at ~400 exchanges/s (two writes each); per batch, it is paid once for
 * every write in flight. BEGIN IMMEDIATE: processes sharing the file serialise their writes
 * instead of failing to upgrade a read lock.
 */
/** Writes per group commit at most; more wait for the next turn (see flush). */
const maxBatch = 64

export function createDatabase(db: Database, clock: Clock): SqliteDatabase {
  const statements = new Map<string, Statement>()
  let queue: QueuedWrite[] = []
  let flushScheduled = false
  const written = new Map<string, unknown>()
  const dataVersion = db.prepare('PRAGMA data_version').pluck()
  let seenVersion: unknown

  function rollback(): void {
    written.clear()
    try {
      if (db.inTransaction) db.exec('ROLLBACK')
    } catch {
      // The connection is gone; the transaction died with it.
    }
  }

  /**
   * Runs `batch` in one BEGIN IMMEDIATE ... COMMIT. `isolated`: each write in a savepoint (a
   * failing one rolls back alone). `together`: no savepoints; the first failing write rolls
   * the whole transaction back, and the answer is undefined. An error is what made the
   * transaction itself fail (nothing committed).
   */
  function commit(batch: readonly QueuedWrite[], mode: 'together'): WriteResult[] | Error | undefined
  function commit(batch: readonly QueuedWrite[], mode: 'isolated'): WriteResult[] | Error
  function commit(batch: readonly QueuedWrite[], mode: 'together' | 'isolated'): WriteResult[] | Error | undefined {
    try {
      db.exec('BEGIN IMMEDIATE')
      // Under the write lock: nobody else commits until ours does, so what `written` holds now
      // stays true for this transaction once checked.
      const version = dataVersion.get()
      if (version !== seenVersion) written.clear()
      seenVersion = version
    } catch (error) {
      rollback()
      return translateError(error)
    }
    const results: WriteResult[] = []
    for (const item of batch) {
      try {
        // Inside an open transaction better-sqlite3 runs a transaction function as a savepoint.
        results.push({ ok: true, value: mode === 'isolated' ? db.transaction(item.work)() : item.work() })
      } catch (error) {
        if (mode === 'together') {
          rollback()
          return undefined
        }
        written.clear()
        results.push({ ok: false, error: translateError(error) })
      }
    }
    try {
      db.exec('COMMIT')
    } catch (error) {
      rollback()
      return translateError(error)
    }
    return results
  }

  function schedule(): void {
    if (flushScheduled) return
    flushScheduled = true
    setImmediate(flush)
  }

  function flush(): void {
    flushScheduled = false
    // Bounded: a burst (256 exchanges in flight) is committed in slices of maxBatch, each its
    // own turn, so the requests that came first are answered without waiting behind one long
    // synchronous transaction, and timers and sockets get a turn between slices (p99).
    const batch = queue.length > maxBatch ? queue.splice(0, maxBatch) : queue
    if (batch === queue) queue = []
    else schedule()
    if (batch.length === 0) return
    if (!db.open) {
      for (const item of batch) item.reject(closedError())
      return
    }
    // Optimistic first: the whole batch as one transaction, no savepoint per write (they cost
    // ~15% of a write). Should any write fail, all is rolled back and the batch runs again
    // with each write in its own savepoint, so that only the failing ones fail.
    const results = (batch.length > 1 ? commit(batch, 'together') : undefined) ?? commit(batch, 'isolated')
    if (results instanceof Error) {
      // Nothing of the batch is durable: every caller hears so, none is told it was recorded.
      for (const item of batch) item.reject(results)
      return
    }
    batch.forEach((item, i) => {
      const result = results[i]!
      if (result.ok) item.resolve(result.value)
      else item.reject(result.error)
    })
  }

  return {
    clock,
    written,

    sql(source) {
      let statement = statements.get(source)
      if (statement === undefined) {
        statement = db.prepare(source)
        statements.set(source, statement)
      }
      return statement
    },

    read(work) {
      if (!db.open) throw closedError()
      try {
        return db.transaction(work).deferred()
      } catch (error) {
        throw translateError(error)
      }
    },

    statement(work) {
      if (!db.open) throw closedError()
      try {
        return work()
      } catch (error) {
        throw translateError(error)
      }
    },

    write<T>(work: () => T): Promise<T> {
      if (!db.open) return Promise.reject(closedError())
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject })
        schedule()
      })
    },

    close() {
      // Writes already accepted are committed (or refused) before the connection goes.
      while (db.open && queue.length > 0) flush()
      if (db.open) db.close()
    },
  }
}

export const ms = (date: Date): number => date.getTime()
export const json = (value: unknown): string => JSON.stringify(value)
