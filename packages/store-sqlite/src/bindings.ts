import { BindingConflict, bindingCutStart, bindingPutAudit, planBindingPut } from '@lanyard/core'
import type { AuditDraft, Binding, BindingCutPolicy, BindingPut, BindingStore } from '@lanyard/core'
import { mustAgent } from './agents.js'
import { appendEvent } from './audit.js'
import { json, ms, type SqliteDatabase } from './database.js'
import { openRevocation } from './revocations.js'
import { toAgent, toBinding, toGrant, type BindingRow, type GrantRow } from './rows.js'

/** The agent's binding to `system`, inside the caller's read or write. */
export function bindingRow(db: SqliteDatabase, handle: string, system: string): BindingRow | undefined {
  return db.sql('SELECT * FROM bindings WHERE handle = ? AND system = ?').get(handle, system) as BindingRow | undefined
}

/** Bindings (table `bindings`), one per (handle, system); `bindings_exclusive` keeps one agent per exclusive target. */
export function createBindingMethods(db: SqliteDatabase): BindingStore {
  return {
    async putBinding(binding: Binding, audit: AuditDraft, policy: BindingCutPolicy = {}): Promise<BindingPut> {
      return db.write(() => {
        const agent = toAgent(mustAgent(db, binding.handle))
        const previous = bindingRow(db, binding.handle, binding.system)
        const open = db.sql("SELECT * FROM grants WHERE handle = ? AND system = ? AND status IN ('pending', 'live')").all(binding.handle, binding.system) as GrantRow[]
        const plan = planBindingPut(agent, previous && toBinding(previous), binding, open.map(toGrant), audit.at, policy.covers)
        try {
          db.sql(
            `INSERT INTO bindings (handle, system, id, target, ceiling, min_tier, created_at, status, revoked_at, exclusive_key, approval, delegable) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', NULL, ?, ?, ?)
             ON CONFLICT (handle, system) DO UPDATE SET id = excluded.id, target = excluded.target, ceiling = excluded.ceiling, min_tier = excluded.min_tier,
               created_at = excluded.created_at, status = 'active', revoked_at = NULL, exclusive_key = excluded.exclusive_key, approval = excluded.approval, delegable = excluded.delegable`,
          ).run(binding.handle, binding.system, binding.id, json(binding.target), json(binding.ceiling), binding.minTier, ms(binding.createdAt), binding.exclusiveKey ?? null, binding.approval === undefined ? null : json(binding.approval), binding.delegable === true ? 1 : null)
        } catch (error) {
          // The unique index `bindings_exclusive`: another agent's active binding holds this key.
          if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new BindingConflict(binding.system, { cause: error })
          throw error
        }
        const revocation =
          plan.cut.length === 0
            ? undefined
            : openRevocation(db, bindingCutStart(binding, audit, policy.reason), plan.cut)
        appendEvent(db, binding.handle, bindingPutAudit(audit, plan, binding.id))
        return { action: plan.action, ...(revocation === undefined ? {} : { revocation }) }
      })
    },

    async getBinding(handle: string, system: string): Promise<Binding | undefined> {
      const row = db.statement(() => bindingRow(db, handle, system))
      return row && toBinding(row)
    },

    async listBindings(handle: string): Promise<Binding[]> {
      return db.statement(() => db.sql('SELECT * FROM bindings WHERE handle = ? ORDER BY system').all(handle) as BindingRow[]).map(toBinding)
    },
  }
}
