import type { AuditDraft, Binding, BindingStore } from '@lanyard/core'
import { mustAgent } from './agents.js'
import { appendEvent } from './audit.js'
import { json, ms, type SqliteDatabase } from './database.js'
import { toBinding, type BindingRow } from './rows.js'

/** Bindings (table `bindings`), one per (handle, system). */
export function createBindingMethods(db: SqliteDatabase): BindingStore {
  return {
    async putBinding(binding: Binding, audit: AuditDraft): Promise<void> {
      await db.write(() => {
        mustAgent(db, binding.handle)
        db.sql(
          `INSERT INTO bindings (handle, system, id, target, ceiling, min_tier, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (handle, system) DO UPDATE SET id = excluded.id, target = excluded.target, ceiling = excluded.ceiling, min_tier = excluded.min_tier, created_at = excluded.created_at`,
        ).run(binding.handle, binding.system, binding.id, json(binding.target), json(binding.ceiling), binding.minTier, ms(binding.createdAt))
        appendEvent(db, binding.handle, audit)
      })
    },

    async getBinding(handle: string, system: string): Promise<Binding | undefined> {
      const row = db.statement(() => db.sql('SELECT * FROM bindings WHERE handle = ? AND system = ?').get(handle, system) as BindingRow | undefined)
      return row && toBinding(row)
    },

    async listBindings(handle: string): Promise<Binding[]> {
      return db.statement(() => db.sql('SELECT * FROM bindings WHERE handle = ? ORDER BY system').all(handle) as BindingRow[]).map(toBinding)
    },
  }
}
