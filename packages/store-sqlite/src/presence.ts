import type { AgentPresence, AuditDraft, MisuseReport, PresenceStore } from '@lanyard/core'
import { mustAgent } from './agents.js'
import { appendEvent } from './audit.js'
import { ms, type SqliteDatabase } from './database.js'

interface PresenceRow {
  handle: string
  presence: 'public' | 'private'
  display_name: string | null
  description: string | null
  escalation_contact: string | null
  updated_at: number
}

interface ReportRow {
  handle: string
  id: string
  received_at: number
  source_digest: string
  category: string
  text: string
  contact: string | null
  evidence: string | null
}

function toPresence(row: PresenceRow): AgentPresence {
  return {
    handle: row.handle,
    presence: row.presence,
    ...(row.display_name === null ? {} : { displayName: row.display_name }),
    ...(row.description === null ? {} : { description: row.description }),
    ...(row.escalation_contact === null ? {} : { escalationContact: row.escalation_contact }),
    updatedAt: new Date(row.updated_at),
  }
}

function toReport(row: ReportRow): MisuseReport {
  return {
    id: row.id,
    handle: row.handle,
    receivedAt: new Date(row.received_at),
    sourceDigest: row.source_digest,
    category: row.category,
    text: row.text,
    ...(row.contact === null ? {} : { contact: row.contact }),
    ...(row.evidence === null ? {} : { evidence: row.evidence }),
  }
}

/** Presence profiles (table `agent_presence`) and misuse reports (`misuse_reports`). */
export function createPresenceMethods(db: SqliteDatabase): PresenceStore {
  return {
    async putPresence(presence: AgentPresence, audit: AuditDraft): Promise<void> {
      await db.write(() => {
        mustAgent(db, presence.handle)
        db.sql(
          `INSERT INTO agent_presence (handle, presence, display_name, description, escalation_contact, updated_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (handle) DO UPDATE SET presence = excluded.presence, display_name = excluded.display_name, description = excluded.description,
             escalation_contact = excluded.escalation_contact, updated_at = excluded.updated_at`,
        ).run(presence.handle, presence.presence, presence.displayName ?? null, presence.description ?? null, presence.escalationContact ?? null, ms(presence.updatedAt))
        appendEvent(db, presence.handle, audit)
      })
    },

    async getPresence(handle: string): Promise<AgentPresence | undefined> {
      const row = db.statement(() => db.sql('SELECT * FROM agent_presence WHERE handle = ?').get(handle) as PresenceRow | undefined)
      return row && toPresence(row)
    },

    async addReport(report: MisuseReport): Promise<void> {
      await db.write(() => {
        mustAgent(db, report.handle)
        db.sql(
          `INSERT INTO misuse_reports (handle, id, received_at, source_digest, category, text, contact, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (handle, id) DO NOTHING`,
        ).run(report.handle, report.id, ms(report.receivedAt), report.sourceDigest, report.category, report.text, report.contact ?? null, report.evidence ?? null)
      })
    },

    async listReports(handle: string, limit?: number): Promise<MisuseReport[]> {
      const rows = db.statement(
        () => db.sql('SELECT * FROM misuse_reports WHERE handle = ? ORDER BY received_at DESC, id DESC LIMIT ?').all(handle, limit ?? -1) as ReportRow[],
      )
      return rows.map(toReport)
    },
  }
}
