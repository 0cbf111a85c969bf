import { AgentNotActive, GrantNotFound, checkGrantBinding, settledGrant } from '@lanyard/core'
import type { AuditDraft, Grant, GrantSettlement, GrantStatus, GrantStore } from '@lanyard/core'
import { mustAgent } from './agents.js'
import { bindingRow } from './bindings.js'
import { appendEvent } from './audit.js'
import { json, ms, type SqliteDatabase } from './database.js'
import { toBinding, toGrant, type GrantRow } from './rows.js'

/** The grant's row, inside the caller's read or write. */
export function grantRow(db: SqliteDatabase, handle: string, grantId: string): GrantRow | undefined {
  return db.sql('SELECT * FROM grants WHERE id = ? AND handle = ?').get(grantId, handle) as GrantRow | undefined
}

/** Writes a grant's whois keys; `new`: the grant was inserted just now, it has none yet. */
function writeIndex(db: SqliteDatabase, grantId: string, index: Readonly<Record<string, string>>, grant: 'new' | 'existing' = 'existing'): void {
  if (grant === 'existing') db.sql('DELETE FROM grant_index WHERE grant_id = ?').run(grantId)
  const insert = db.sql('INSERT INTO grant_index (grant_id, key, value) VALUES (?, ?, ?)')
  for (const [key, value] of Object.entries(index)) insert.run(grantId, key, value)
}

/** `grant` recorded pending if its agent is active at `generation`, inside the caller's write. */
export function insertPendingGrant(db: SqliteDatabase, grant: Grant, generation: number): void {
  // The consistency point: status and generation are read under the write lock that
  // records the grant, so a revocation either committed before (refused here) or after
  // (and then sees this grant as pending and takes it into its job).
  const agent = mustAgent(db, grant.handle)
  if (agent.status !== 'active') throw new AgentNotActive(grant.handle, agent.status)
  if (agent.generation !== generation) throw new AgentNotActive(grant.handle, "no longer at the token's generation", { detail: `agent generation ${agent.generation}, token generation ${generation}` })
  // The binding the exchange read is still the active one: a binding revoke (or a
  // replacement) that committed first refuses this grant; one after takes it into its job.
  const binding = bindingRow(db, grant.handle, grant.system)
  checkGrantBinding(grant, binding && toBinding(binding))
  db.sql(
    `INSERT INTO grants (id, handle, binding_id, system, connector_type, scopes, status, created_at, expires_at, ref, attribution, sealed_secret, error, ended_at, approval)
     VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, NULL, NULL, ?)`,
  ).run(
    grant.id, grant.handle, grant.bindingId, grant.system, grant.connectorType, json(grant.scopes), ms(grant.createdAt),
    grant.expiresAt ? ms(grant.expiresAt) : null, grant.ref === undefined ? null : json(grant.ref), json(grant.index), grant.sealedSecret ?? null,
    grant.approval === undefined ? null : json(grant.approval),
  )
  writeIndex(db, grant.id, grant.index, 'new')
}

/**
 * The common case in one guarded statement: a `pending` grant begun with no whois keys (every
 * exchange) settled. `status = 'pending'` is the status machine's one condition for settling
 * (`settledGrant`); `attribution = '{}'` (live only): no index rows to delete. Undefined when the guard did
 * not hold: `settleAny` then decides (not found, not pending, or an index to replace).
 */
function settleFresh(db: SqliteDatabase, handle: string, grantId: string, settlement: GrantSettlement, at: Date): Grant | undefined {
  const row = (
    settlement.status === 'live'
      ? db.sql("UPDATE grants SET status = 'live', expires_at = ?, ref = ?, attribution = ?, sealed_secret = ? WHERE id = ? AND handle = ? AND status = 'pending' AND attribution = '{}' RETURNING *").get(
          ms(settlement.expiresAt), settlement.ref === undefined ? null : json(settlement.ref), json(settlement.index), settlement.sealedSecret ?? null, grantId, handle,
        )
      : db.sql("UPDATE grants SET status = 'failed', error = ?, ended_at = ?, sealed_secret = NULL WHERE id = ? AND handle = ? AND status = 'pending' RETURNING *").get(settlement.error ?? null, ms(at), grantId, handle)
  ) as GrantRow | undefined
  if (row === undefined) return undefined
  if (settlement.status === 'live') writeIndex(db, grantId, settlement.index, 'new')
  return toGrant(row)
}

/** Any grant: read, let the status machine decide (GrantNotPending when settled already), write its answer. */
function settleAny(db: SqliteDatabase, handle: string, grantId: string, settlement: GrantSettlement, at: Date): Grant {
  const row = grantRow(db, handle, grantId)
  if (row === undefined) throw new GrantNotFound(grantId)
  const settled = settledGrant(toGrant(row), settlement, at)
  if (settled.status === 'live') {
    db.sql("UPDATE grants SET status = 'live', expires_at = ?, ref = ?, attribution = ?, sealed_secret = ? WHERE id = ?").run(
      ms(settled.expiresAt!), settled.ref === undefined ? null : json(settled.ref), json(settled.index), settled.sealedSecret ?? null, grantId,
    )
    writeIndex(db, grantId, settled.index, row.attribution === '{}' ? 'new' : 'existing')
  } else {
    db.sql("UPDATE grants SET status = 'failed', error = ?, ended_at = ?, sealed_secret = NULL WHERE id = ?").run(settled.error ?? null, ms(settled.endedAt!), grantId)
  }
  return settled
}

/** Grants (table `grants`) and their whois index (`grant_index`). */
export function createGrantMethods(db: SqliteDatabase): GrantStore {
  return {
    async beginGrant(grant: Grant, generation: number, audit: AuditDraft): Promise<void> {
      await db.write(() => {
        insertPendingGrant(db, grant, generation)
        appendEvent(db, grant.handle, audit)
      })
    },

    async settleGrant(handle: string, grantId: string, settlement: GrantSettlement, audit: AuditDraft): Promise<Grant> {
      return db.write(() => {
        const settled = settleFresh(db, handle, grantId, settlement, audit.at) ?? settleAny(db, handle, grantId, settlement, audit.at)
        appendEvent(db, handle, audit)
        return settled
      })
    },

    async getGrant(handle: string, grantId: string): Promise<Grant | undefined> {
      const row = db.statement(() => grantRow(db, handle, grantId))
      return row && toGrant(row)
    },

    async listGrants(handle: string, status?: GrantStatus): Promise<Grant[]> {
      const rows = db.statement(() => db.sql('SELECT * FROM grants WHERE handle = :handle AND (:status IS NULL OR status = :status) ORDER BY created_at, id').all({ handle, status: status ?? null }) as GrantRow[])
      return rows.map(toGrant)
    },

    async findGrants(key: string, value: string): Promise<Grant[]> {
      const rows = db.read(
        () => db.sql('SELECT g.* FROM grant_index i JOIN grants g ON g.id = i.grant_id WHERE i.key = ? AND i.value = ? ORDER BY g.created_at, g.id').all(key, value) as GrantRow[],
      )
      return rows.map(toGrant)
    },

    async listPendingGrants(before: Date): Promise<Grant[]> {
      const rows = db.statement(() => db.sql("SELECT * FROM grants WHERE status = 'pending' AND created_at < ? ORDER BY created_at, id").all(ms(before)) as GrantRow[])
      return rows.map(toGrant)
    },
  }
}
