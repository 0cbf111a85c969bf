import { ApprovalNotFound, decidedApproval, spentApproval } from '@lanyard/core'
import type { Approval, ApprovalFilter, ApprovalStatus, ApprovalStore } from '@lanyard/core'
import { mustAgent } from './agents.js'
import { appendEvent } from './audit.js'
import { json, ms, type SqliteDatabase } from './database.js'
import { insertPendingGrant } from './grants.js'

interface ApprovalRow {
  id: string
  handle: string
  binding_id: string
  system: string
  scopes: string
  generation: number
  approvers: string
  reason: string | null
  status: ApprovalStatus
  requested_at: number
  expires_at: number
  decided_by: string | null
  decided_at: number | null
  note: string | null
  grant_id: string | null
  spent_at: number | null
}

function toApproval(row: ApprovalRow): Approval {
  return {
    id: row.id,
    handle: row.handle,
    bindingId: row.binding_id,
    system: row.system,
    scopes: JSON.parse(row.scopes) as string[],
    generation: row.generation,
    approvers: JSON.parse(row.approvers) as string[],
    status: row.status,
    requestedAt: new Date(row.requested_at),
    expiresAt: new Date(row.expires_at),
    ...(row.reason === null ? {} : { reason: row.reason }),
    ...(row.decided_by === null ? {} : { decidedBy: row.decided_by }),
    ...(row.decided_at === null ? {} : { decidedAt: new Date(row.decided_at) }),
    ...(row.note === null ? {} : { note: row.note }),
    ...(row.grant_id === null ? {} : { grantId: row.grant_id }),
    ...(row.spent_at === null ? {} : { spentAt: new Date(row.spent_at) }),
  }
}

function approvalRow(db: SqliteDatabase, id: string): ApprovalRow | undefined {
  return db.sql('SELECT * FROM approvals WHERE id = ?').get(id) as ApprovalRow | undefined
}

/** Writes every mutable column of `approval` (its row exists). */
function update(db: SqliteDatabase, approval: Approval): void {
  db.sql('UPDATE approvals SET status = ?, decided_by = ?, decided_at = ?, note = ?, grant_id = ?, spent_at = ? WHERE id = ?').run(
    approval.status, approval.decidedBy ?? null, approval.decidedAt ? ms(approval.decidedAt) : null, approval.note ?? null,
    approval.grantId ?? null, approval.spentAt ? ms(approval.spentAt) : null, approval.id,
  )
}

/** Approvals (table `approvals`, migration 0004). */
export function createApprovalMethods(db: SqliteDatabase): ApprovalStore {
  return {
    async requestApproval(approval, audit) {
      return db.write(() => {
        mustAgent(db, approval.handle)
        const open = (db.sql("SELECT * FROM approvals WHERE handle = ? AND binding_id = ? AND status = 'pending' AND expires_at > ? ORDER BY requested_at").all(approval.handle, approval.bindingId, ms(approval.requestedAt)) as ApprovalRow[])
          .map(toApproval)
          .find((a) => a.generation === approval.generation && json(a.scopes) === json(approval.scopes))
        if (open !== undefined) return { approval: open, created: false }
        db.sql(
          `INSERT INTO approvals (id, handle, binding_id, system, scopes, generation, approvers, reason, status, requested_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
        ).run(approval.id, approval.handle, approval.bindingId, approval.system, json(approval.scopes), approval.generation, json(approval.approvers), approval.reason ?? null, ms(approval.requestedAt), ms(approval.expiresAt))
        appendEvent(db, approval.handle, audit)
        return { approval: { ...approval, status: 'pending' as const }, created: true }
      })
    },

    async getApproval(id) {
      const row = db.statement(() => approvalRow(db, id))
      return row && toApproval(row)
    },

    async listApprovals(filter: ApprovalFilter = {}) {
      const rows = db.statement(
        () => db.sql('SELECT * FROM approvals WHERE (:status IS NULL OR status = :status) AND (:handle IS NULL OR handle = :handle) ORDER BY requested_at, id').all({ status: filter.status ?? null, handle: filter.handle ?? null }) as ApprovalRow[],
      )
      return rows.map(toApproval)
    },

    async decideApproval(id, decision, audit) {
      return db.write(() => {
        const row = approvalRow(db, id)
        if (row === undefined) throw new ApprovalNotFound(id)
        const decided = decidedApproval(toApproval(row), decision)
        update(db, decided)
        appendEvent(db, decided.handle, audit)
        return decided
      })
    },

    async beginApprovedGrant(grant, generation, approvalId, audit) {
      return db.write(() => {
        const row = approvalRow(db, approvalId)
        if (row === undefined) throw new ApprovalNotFound(approvalId)
        // Spent and granted in one transaction: a second caller, even one queued in the same
        // group commit, reads the row as spent.
        const spent = spentApproval(toApproval(row), { handle: grant.handle, bindingId: grant.bindingId, scopes: grant.scopes, generation, grantId: grant.id, at: grant.createdAt })
        insertPendingGrant(db, grant, generation)
        update(db, spent)
        appendEvent(db, grant.handle, audit)
        return spent
      })
    },

    async cancelApprovals(handle, audit) {
      return db.write(() => {
        const ids = db.sql("SELECT id FROM approvals WHERE handle = ? AND status IN ('pending', 'approved') ORDER BY requested_at, id").pluck().all(handle) as string[]
        if (ids.length === 0) return 0
        db.sql("UPDATE approvals SET status = 'cancelled' WHERE handle = ? AND status IN ('pending', 'approved')").run(handle)
        appendEvent(db, handle, { ...audit, details: { ...audit.details, approval_ids: ids } })
        return ids.length
      })
    },
  }
}
