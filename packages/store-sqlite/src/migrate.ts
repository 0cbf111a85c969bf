import { readdirSync, readFileSync } from 'node:fs'
import type { Database } from 'better-sqlite3'
import { StoreUnavailable } from '@lanyard/core'

export interface Migration {
  readonly version: number
  readonly name: string
  readonly sql: string
}

const folder = new URL('./migrations/', import.meta.url)
const fileName = /^(\d{4})-[a-z0-9-]+\.sql$/

/** The SQL files shipped beside this module, `NNNN-name.sql`, in version order. */
export function loadMigrations(): Migration[] {
  return readdirSync(folder)
    .flatMap((name) => {
      const match = fileName.exec(name)
      return match ? [{ version: Number(match[1]), name, sql: readFileSync(new URL(name, folder), 'utf8') }] : []
    })
    .sort((a, b) => a.version - b.version)
}

/**
 * Applies, in order, every migration not yet recorded in `schema_migrations`, all in one
 * BEGIN IMMEDIATE transaction: two processes opening one new file at once serialise here, and
 * the second finds the work done. Idempotent. Refuses a database migrated by a newer release,
 * whose schema this code does not know.
 */
export function migrate(db: Database, migrations: readonly Migration[], now: Date): void {
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT')
    const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[])
    const known = new Set(migrations.map((m) => m.version))
    const unknown = [...applied].filter((v) => !known.has(v))
    if (unknown.length > 0) throw new StoreUnavailable({ detail: `the database has migrations ${unknown.join(', ')} that this release does not know; it was opened by a newer Lanyard` })
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue
      db.exec(migration.sql)
      record.run(migration.version, migration.name, now.getTime())
    }
  }).immediate()
}
