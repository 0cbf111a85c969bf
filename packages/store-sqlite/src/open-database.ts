import BetterSqlite3 from 'better-sqlite3'
import type { Database } from 'better-sqlite3'
import { StoreUnavailable } from '@lanyard/core'
import { loadMigrations, migrate } from './migrate.js'
import { translateError } from './translate-error.js'

/**
 * Opens the file with the settings the ledger relies on, then migrates it:
 * (1) WAL: readers never block the writer, and a crash loses no committed transaction;
 * (2) `synchronous=FULL`: each commit is fsynced before it returns (WAL's default, NORMAL,
 *     can lose the last commits on power loss: a grant or audit event already answered for);
 * (3) busy_timeout: a write waits this long for another process's lock before failing;
 * (4) foreign keys on: a grant, key or binding cannot point at an agent that does not exist;
 * (5) checkpoints every 16,000 WAL pages (64 MiB) instead of SQLite's 1,000: an exchange
 *     rewrites the same few index pages, so rarer checkpoints copy each page once for many
 *     commits (+25-30% exchanges/s in test/bench/profile-exchange.ts); the WAL is truncated
 *     back to that size after each checkpoint.
 */
export function openDatabase(path: string, options: { busyTimeoutMs: number; now: Date }): Database {
  let db: Database | undefined
  try {
    db = new BetterSqlite3(path, { timeout: options.busyTimeoutMs })
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = FULL')
    db.pragma('foreign_keys = ON')
    db.pragma('wal_autocheckpoint = 16000')
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`)
    migrate(db, loadMigrations(), options.now)
    return db
  } catch (error) {
    db?.close()
    const translated = translateError(error)
    if (translated instanceof StoreUnavailable) throw translated
    throw new StoreUnavailable({ cause: error, detail: `cannot open ${path}: ${translated.detail ?? translated.message}` })
  }
}
