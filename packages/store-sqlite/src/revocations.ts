import { BindingNotFound, GrantNotFound, grantAfterTask } from '@lanyard/core'
import type { Agent, AuditDraft, Revocation, RevocationEventType, RevocationStart, RevocationStore, RevocationTask, TaskCompletion, TaskResult } from '@lanyard/core'
import { changeStatus, mustAgent } from './agents.js'
import { appendEvent } from './audit.js'
import { json, ms, type SqliteDatabase } from './database.js'
import { grantRow } from './grants.js'
import { toAgent, toGrant, toRevocation, toTask, type RevocationRow, type TaskRow } from './rows.js'

/** A revocation with its tasks, inside the caller's read or write. */
export function readRevocation(db: SqliteDatabase, id: string): Revocation | undefined {
  const row = db.sql('SELECT * FROM revocations WHERE id = ?').get(id) as RevocationRow | undefined
  if (row === undefined) return undefined
  return toRevocation(row, db.sql('SELECT * FROM revocation_tasks WHERE revocation_id = ? ORDER BY rowid').all(id) as TaskRow[])
}

/** Puts a revocation event in the outbox (`revocation_outbox`, read by webhooks.ts), inside the
 * write that starts or finishes the revocation. */
function addToOutbox(db: SqliteDatabase, revocationId: string, type: RevocationEventType): void {
  db.sql('INSERT INTO revocation_outbox (revocation_id, type) VALUES (?, ?)').run(revocationId, type)
}

/**
 * Opens a job with one pending task per grant, inside the caller's write, and puts its events in
 * the outbox. A job with no task is born done.
 */
export function openRevocation(db: SqliteDatabase, start: Omit<RevocationStart, 'statusChange' | 'bindingChange'>, grants: ReadonlyArray<{ id: string; system: string }>): Revocation {
  const { scope } = start
  const done = grants.length === 0
  db.sql('INSERT INTO revocations (id, handle, scope, reason, actor, created_at, status, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
    start.id, scope.handle, json(scope), start.reason, start.actor, ms(start.createdAt), done ? 'done' : 'running', done ? ms(start.createdAt) : null,
  )
  const task = db.sql("INSERT INTO revocation_tasks (revocation_id, grant_id, handle, system, status, attempts, next_attempt_at) VALUES (?, ?, ?, ?, 'pending', 0, ?)")
  for (const grant of grants) task.run(start.id, grant.id, scope.handle, grant.system, ms(start.createdAt))
  addToOutbox(db, start.id, 'revocation.started')
  if (done) addToOutbox(db, start.id, 'revocation.finished')
  return readRevocation(db, start.id)!
}

/** A binding revoke ends the binding, a removal deletes it; BindingNotFound when there is none. */
function changeBinding(db: SqliteDatabase, handle: string, system: string, change: 'revoke' | 'remove', at: Date): void {
  const changed =
    change === 'revoke'
      ? db.sql("UPDATE bindings SET status = 'revoked', revoked_at = COALESCE(revoked_at, ?) WHERE handle = ? AND system = ?").run(ms(at), handle, system)
      : db.sql('DELETE FROM bindings WHERE handle = ? AND system = ?').run(handle, system)
  if (changed.changes === 0) throw new BindingNotFound(handle, system)
}

/** Revocation jobs (table `revocations`) and their leased tasks (`revocation_tasks`). */
export function createRevocationMethods(db: SqliteDatabase): RevocationStore {
  return {
    async startRevocation(start: RevocationStart, audit: AuditDraft): Promise<{ revocation: Revocation; agent: Agent }> {
      return db.write(() => {
        const { scope } = start
        let agent = toAgent(mustAgent(db, scope.handle))
        // Live grants not yet expired, and those still pending: an exchange in flight may yet go
        // live, and the cascade must own it (it waits for the grant to settle).
        const inScope = "(status = 'pending' OR (status = 'live' AND expires_at > :now))"
        const now = ms(start.createdAt)
        let grants: Array<{ id: string; system: string }>
        switch (scope.kind) {
          case 'agent':
            grants = db.sql(`SELECT id, system FROM grants WHERE handle = :handle AND ${inScope} ORDER BY created_at, id`).all({ handle: scope.handle, now }) as typeof grants
            break
          case 'binding':
            // Every open grant of the agent on the system, whichever binding version issued it.
            grants = db.sql(`SELECT id, system FROM grants WHERE handle = :handle AND system = :system AND ${inScope} ORDER BY created_at, id`).all({ handle: scope.handle, system: scope.system, now }) as typeof grants
            if (start.bindingChange !== undefined) changeBinding(db, scope.handle, scope.system, start.bindingChange, start.createdAt)
            break
          case 'grant': {
            if (grantRow(db, scope.handle, scope.grantId) === undefined) throw new GrantNotFound(scope.grantId)
            grants = db.sql("SELECT id, system FROM grants WHERE handle = ? AND id = ? AND status IN ('live', 'pending')").all(scope.handle, scope.grantId) as typeof grants
            break
          }
        }
        if (start.statusChange) agent = changeStatus(db, scope.handle, start.statusChange, audit.at)
        // A revoked agent holds no binding: each ends with it (and frees its exclusive target).
        if (agent.status === 'revoked') db.sql("UPDATE bindings SET status = 'revoked', revoked_at = ? WHERE handle = ? AND status = 'active'").run(ms(start.createdAt), scope.handle)
        const revocation = openRevocation(db, start, grants)
        appendEvent(db, scope.handle, audit)
        return { revocation, agent }
      })
    },

    async getRevocation(id: string): Promise<Revocation | undefined> {
      return db.read(() => readRevocation(db, id))
    },

    async listOpenRevocations(): Promise<Revocation[]> {
      return db.read(() => {
        const ids = db.sql("SELECT id FROM revocations WHERE status = 'running' ORDER BY created_at, id").pluck().all() as string[]
        return ids.map((id) => readRevocation(db, id)!)
      })
    },

    async listRevocations({ before, limit }: { before?: Date; limit: number }): Promise<Revocation[]> {
      return db.read(() => {
        const ids = db.sql('SELECT id FROM revocations WHERE created_at < ? ORDER BY created_at DESC, id DESC LIMIT ?').pluck().all(before?.getTime() ?? Number.MAX_SAFE_INTEGER, limit) as string[]
        return ids.map((id) => readRevocation(db, id)!)
      })
    },

    async claimTasks(owner: string, now: Date, leaseMs: number, limit: number): Promise<RevocationTask[]> {
      return db.write(() => {
        const due = db.sql(
          `SELECT rowid FROM revocation_tasks
           WHERE status = 'pending' AND next_attempt_at <= :now AND (lease_expires_at IS NULL OR lease_expires_at <= :now)
           ORDER BY next_attempt_at, rowid LIMIT :limit`,
        ).pluck().all({ now: ms(now), limit }) as number[]
        const lease = db.sql('UPDATE revocation_tasks SET lease_owner = ?, lease_expires_at = ? WHERE rowid = ? RETURNING *')
        return due.map((rowid) => toTask(lease.get(owner, ms(now) + leaseMs, rowid) as TaskRow))
      })
    },

    async completeTask(owner: string, revocationId: string, grantId: string, result: TaskResult, now: Date, audit: AuditDraft): Promise<TaskCompletion> {
      return db.write(() => {
        const task = db.sql('SELECT * FROM revocation_tasks WHERE revocation_id = ? AND grant_id = ?').get(revocationId, grantId) as TaskRow | undefined
        // Only the holder of an unexpired lease: after expiry another replica may be on it.
        if (task === undefined || task.status !== 'pending' || task.lease_owner !== owner || (task.lease_expires_at ?? 0) <= ms(now)) return { completed: false, revocationDone: false }
        db.sql("UPDATE revocation_tasks SET status = 'done', outcome = ?, lease_owner = NULL, lease_expires_at = NULL WHERE revocation_id = ? AND grant_id = ?").run(json(result.outcome), revocationId, grantId)
        const grant = grantRow(db, task.handle, grantId)
        if (grant !== undefined) {
          const after = grantAfterTask(toGrant(grant), result.grantStatus, now)
          db.sql('UPDATE grants SET status = ?, sealed_secret = NULL, ended_at = ? WHERE id = ?').run(after.status, after.endedAt ? ms(after.endedAt) : null, grantId)
        }
        appendEvent(db, task.handle, audit)
        const closed = db.sql(
          `UPDATE revocations SET status = 'done', finished_at = ?
           WHERE id = ? AND NOT EXISTS (SELECT 1 FROM revocation_tasks WHERE revocation_id = ? AND status = 'pending')`,
        ).run(ms(now), revocationId, revocationId)
        if (closed.changes > 0) addToOutbox(db, revocationId, 'revocation.finished')
        return { completed: true, revocationDone: closed.changes > 0 }
      })
    },

    async retryTask(owner: string, revocationId: string, grantId: string, nextAttemptAt: Date, error: string): Promise<void> {
      await db.write(() => {
        db.sql(
          `UPDATE revocation_tasks SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, lease_owner = NULL, lease_expires_at = NULL
           WHERE revocation_id = ? AND grant_id = ? AND status = 'pending' AND lease_owner = ?`,
        ).run(ms(nextAttemptAt), error, revocationId, grantId, owner)
      })
    },
  }
}
