import { AgentNotFound, AuditUnavailable, sealAuditEventText } from '@lanyard/core'
import type { AuditDraft, AuditEvent, AuditStore, ChainHead } from '@lanyard/core'
import { json, ms, type SqliteDatabase } from './database.js'
import { toAuditEvent, type AuditRow } from './rows.js'

/**
 * Seals `draft` onto the agent's chain inside the caller's transaction: the head read and the
 * insert share the write lock, so two appends cannot take one seq. The head is the one kept on
 * the agent record (`agents.audit_seq`, `audit_hash`, migration 0008), moved in this same
 * transaction: a deleted newest row is not silently re-used, and verification sees it missing.
 * Only the draft's own fields are sealed (extra properties on the object would be hashed but
 * not stored).
 */
export function appendEvent(db: SqliteDatabase, handle: string, draft: AuditDraft): AuditEvent {
  const head = cachedHead(db, handle)
  let sealed: { event: AuditEvent; details: string }
  try {
    sealed = sealAuditEventText(handle, head, { at: draft.at, actor: draft.actor, action: draft.action, target: draft.target, outcome: draft.outcome, details: draft.details })
  } catch (cause) {
    throw new AuditUnavailable({ cause, detail: `the audit event "${draft.action}" could not be sealed` })
  }
  const { event } = sealed
  // `details` stored as the canonical text the hash covered: serialised once.
  db.sql('INSERT INTO audit_events (handle, seq, prev_hash, hash, at, actor, action, target, outcome, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
    handle, event.seq, event.prevHash, event.hash, ms(event.at), event.actor, event.action, event.target, event.outcome, sealed.details,
  )
  db.sql('UPDATE agents SET audit_seq = ?, audit_hash = ? WHERE handle = ?').run(event.seq, event.hash, handle)
  db.written.set(headKey(handle), { seq: event.seq, hash: event.hash } satisfies ChainHead)
  // The event as sealed; `details` as the caller gave it. Most callers ignore it (an exchange
  // writes two events and reads neither), so the JSON round trip that gives the shape a later
  // read returns is left to appendAudit, the one caller that answers with the event.
  return event
}

const headKey = (handle: string) => `audit-head:${handle}`

/**
 * The chain head this connection last wrote for `handle` (`db.written`: dropped when another
 * connection wrote or a write rolled back), else the one on the agent row.
 */
function cachedHead(db: SqliteDatabase, handle: string): ChainHead | undefined {
  const cached = db.written.get(headKey(handle)) as ChainHead | undefined
  return cached ?? headRow(db, handle)
}

function headRow(db: SqliteDatabase, handle: string): ChainHead | undefined {
  const row = db.sql('SELECT audit_seq AS seq, audit_hash AS hash FROM agents WHERE handle = ?').get(handle) as ChainHead | undefined
  return row === undefined || row.seq === 0 ? undefined : row
}

/** Each agent's audit chain (table `audit_events`, head on `agents`). */
export function createAuditMethods(db: SqliteDatabase): AuditStore {
  return {
    async appendAudit(handle: string, audit: AuditDraft): Promise<AuditEvent> {
      return db.write(() => {
        if (db.sql('SELECT 1 FROM agents WHERE handle = ?').get(handle) === undefined) throw new AgentNotFound(handle)
        const event = appendEvent(db, handle, audit)
        return { ...event, details: JSON.parse(json(event.details)) as Record<string, unknown> }
      })
    },

    async readAudit(handle: string, options: { afterSeq?: number; limit?: number } = {}): Promise<AuditEvent[]> {
      const rows = db.statement(() => db.sql('SELECT * FROM audit_events WHERE handle = ? AND seq > ? ORDER BY seq LIMIT ?').all(handle, options.afterSeq ?? 0, options.limit ?? -1) as AuditRow[])
      return rows.map(toAuditEvent)
    },

    async readAuditHead(handle: string): Promise<ChainHead | undefined> {
      return db.statement(() => headRow(db, handle))
    },
  }
}
