/**
 * @module @lanyard/store-sqlite
 *
 * The embedded default Store: one SQLite file (better-sqlite3, WAL, `synchronous=FULL`), for a
 * single broker or a few processes sharing one data folder. Imports @lanyard/core's ports only.
 * Imported by apps (the broker composes it when no Redis is configured) and by its own tests;
 * checked by `storeConformance` from @lanyard/core/testing like every store.
 */
export { createSqliteStore } from './create-sqlite-store.js'
export type { SqliteStoreOptions } from './create-sqlite-store.js'
