import { AdminExists, AdminNotFound, AuditUnavailable, adminAuditChain, sealAuditEvent } from '@lanyard/core'
import type { AdminPrincipal, AdminRole, AdminStore, AdminVia, AuditDraft, ChainHead, ConsoleSession } from '@lanyard/core'
import { json, ms, type SqliteDatabase } from './database.js'
import { toAuditEvent, type AuditRow } from './rows.js'

interface AdminRow {
  subject: string
  roles: string
  token_hash: string
  created_at: number
  created_by: string
  expires_at: number | null
  revoked_at: number | null
}

interface SessionRow {
  id_hash: string
  subject: string
  roles: string
  via: string
  created_at: number
  expires_at: number
}

function toAdmin(row: AdminRow): AdminPrincipal {
  return {
    subject: row.subject,
    roles: JSON.parse(row.roles) as AdminRole[],
    tokenHash: row.token_hash,
    createdAt: new Date(row.created_at),
    createdBy: row.created_by,
    ...(row.expires_at === null ? {} : { expiresAt: new Date(row.expires_at) }),
    ...(row.revoked_at === null ? {} : { revokedAt: new Date(row.revoked_at) }),
  }
}

const headSetting = 'admin_audit_head'
const retiredSetting = 'bootstrap_retired_at'

/**
 * Named admins (`admins`), console sessions (`admin_sessions`), settings (`admin_settings`,
 * migration 0015), and the admin chain: events in `audit_events` under `adminAuditChain`, its
 * head in `admin_settings`, both written in the transaction of the change they record.
 */
export function createAdminMethods(db: SqliteDatabase): AdminStore {
  const setting = (name: string) => (db.sql('SELECT value FROM admin_settings WHERE name = ?').get(name) as { value: string } | undefined)?.value
  const head = (): ChainHead | undefined => {
    const value = setting(headSetting)
    if (value === undefined) return undefined
    const colon = value.indexOf(':')
    return { seq: Number(value.slice(0, colon)), hash: value.slice(colon + 1) }
  }
  const append = (draft: AuditDraft) => {
    let event
    try {
      event = sealAuditEvent(adminAuditChain, head(), { at: draft.at, actor: draft.actor, action: draft.action, target: draft.target, outcome: draft.outcome, details: draft.details })
    } catch (cause) {
      throw new AuditUnavailable({ cause, detail: `the audit event "${draft.action}" could not be sealed` })
    }
    db.sql('INSERT INTO audit_events (handle, seq, prev_hash, hash, at, actor, action, target, outcome, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      adminAuditChain, event.seq, event.prevHash, event.hash, ms(event.at), event.actor, event.action, event.target, event.outcome, json(event.details),
    )
    db.sql('INSERT INTO admin_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(headSetting, `${event.seq}:${event.hash}`)
  }
  const getRow = (subject: string) => db.sql('SELECT * FROM admins WHERE subject = ?').get(subject) as AdminRow | undefined

  return {
    async createAdmin(admin, audit) {
      return db.write(() => {
        const existing = getRow(admin.subject)
        if (existing !== undefined && existing.revoked_at === null) throw new AdminExists(admin.subject)
        db.sql('DELETE FROM admins WHERE subject = ?').run(admin.subject)
        db.sql('INSERT INTO admins (subject, roles, token_hash, created_at, created_by, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, NULL)').run(
          admin.subject, json(admin.roles), admin.tokenHash, ms(admin.createdAt), admin.createdBy, admin.expiresAt === undefined ? null : ms(admin.expiresAt),
        )
        append(audit)
        return toAdmin(getRow(admin.subject)!)
      })
    },

    async getAdmin(subject) {
      return db.statement(() => {
        const row = getRow(subject)
        return row === undefined ? undefined : toAdmin(row)
      })
    },

    async findAdminByTokenHash(tokenHash) {
      return db.statement(() => {
        const row = db.sql('SELECT * FROM admins WHERE token_hash = ?').get(tokenHash) as AdminRow | undefined
        return row === undefined ? undefined : toAdmin(row)
      })
    },

    async listAdmins() {
      return db.statement(() => (db.sql('SELECT * FROM admins ORDER BY subject').all() as AdminRow[]).map(toAdmin))
    },

    async revokeAdmin(subject, at, audit) {
      return db.write(() => {
        const row = getRow(subject)
        if (row === undefined) throw new AdminNotFound(subject)
        if (row.revoked_at !== null) return toAdmin(row)
        db.sql('UPDATE admins SET revoked_at = ? WHERE subject = ?').run(ms(at), subject)
        append(audit)
        return toAdmin(getRow(subject)!)
      })
    },

    async retireBootstrap(at, audit) {
      return db.write(() => {
        const already = setting(retiredSetting)
        if (already !== undefined) return new Date(Number(already))
        db.sql('INSERT INTO admin_settings (name, value) VALUES (?, ?)').run(retiredSetting, String(ms(at)))
        append(audit)
        return at
      })
    },

    async bootstrapRetiredAt() {
      return db.statement(() => {
        const value = setting(retiredSetting)
        return value === undefined ? undefined : new Date(Number(value))
      })
    },

    async createSession(session: ConsoleSession, audit) {
      await db.write(() => {
        db.sql('INSERT INTO admin_sessions (id_hash, subject, roles, via, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)').run(
          session.idHash, session.subject, json(session.roles), session.via, ms(session.createdAt), ms(session.expiresAt),
        )
        // Sessions expire; the ones that did are swept at each sign-in (no other writer needs them).
        db.sql('DELETE FROM admin_sessions WHERE expires_at <= ?').run(ms(session.createdAt))
        append(audit)
      })
    },

    async findSession(idHash, now) {
      const row = db.statement(() => db.sql('SELECT * FROM admin_sessions WHERE id_hash = ?').get(idHash) as SessionRow | undefined)
      if (row === undefined || row.expires_at <= ms(now)) return undefined
      return { idHash: row.id_hash, subject: row.subject, roles: JSON.parse(row.roles) as AdminRole[], via: row.via as AdminVia, createdAt: new Date(row.created_at), expiresAt: new Date(row.expires_at) }
    },

    async deleteSession(idHash) {
      await db.write(() => db.sql('DELETE FROM admin_sessions WHERE id_hash = ?').run(idHash))
    },

    async readAdminAudit(options = {}) {
      const rows = db.statement(() => db.sql('SELECT * FROM audit_events WHERE handle = ? AND seq > ? ORDER BY seq LIMIT ?').all(adminAuditChain, options.afterSeq ?? 0, options.limit ?? -1) as AuditRow[])
      return rows.map(toAuditEvent)
    },

    async readAdminAuditHead() {
      return db.statement(() => head())
    },
  }
}
