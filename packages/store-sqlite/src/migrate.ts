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

/**
 * The SQL files shipped beside this module, `NNNN-name.sql`, in version order. Two files with
 * one version (two branches each taking the next number) are a packaging fault, refused here
 * rather than applied in directory order.
 */
export function loadMigrations(): Migration[] {
  const migrations = readdirSync(folder)
    .flatMap((name) => {
      const match = fileName.exec(name)
      return match ? [{ version: Number(match[1]), name, sql: readFileSync(new URL(name, folder), 'utf8') }] : []
    })
    .sort((a, b) => a.version - b.version)
  const twice = migrations.filter((m, i) => i > 0 && migrations[i - 1]!.version === m.version)
  if (twice.length > 0) throw new StoreUnavailable({ detail: `two migrations share version ${twice[0]!.version}: this release is packaged wrong` })
  return migrations
}

/**
 * Applies, in order, every migration not yet recorded in `schema_migrations`, all in one
 * BEGIN IMMEDIATE transaction: two processes opening one new file at once serialise here, and
 * the second finds the work done. Idempotent. Refuses a database migrated by a newer release,
 * whose schema this code does not know, and one whose recorded migration of a version has
 * another name than this release's (it ran different SQL under that number).
 */
export function migrate(db: Database, migrations: readonly Migration[], now: Date): void {
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT')
    const rows = db.prepare('SELECT version, name FROM schema_migrations').all() as Array<{ version: number; name: string }>
    const applied = new Set(rows.map((row) => row.version))
    const known = new Map(migrations.map((m) => [m.version, m.name]))
    const unknown = [...applied].filter((v) => !known.has(v))
    if (unknown.length > 0) throw new StoreUnavailable({ detail: `the database has migrations ${unknown.join(', ')} that this release does not know; it was opened by a newer Lanyard` })
    const renamed = rows.filter((row) => known.get(row.version) !== row.name)
    if (renamed.length > 0) throw new StoreUnavailable({ detail: `the database recorded migration ${renamed[0]!.version} as "${renamed[0]!.name}", which this release numbers differently; it was opened by another build of Lanyard` })
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue
      db.exec(migration.sql)
      record.run(migration.version, migration.name, now.getTime())
    }
  }).immediate()
}
