import type { AuditDraft, DelegationRule, DelegationStore } from '@lanyard/core'
import { mustAgent } from './agents.js'
import { appendEvent } from './audit.js'
import { json, ms, type SqliteDatabase } from './database.js'

interface DelegationRow {
  subject: string
  actor: string
  systems: string
  scopes: string
  expires_at: number
  created_by: string
  created_at: number
}

const toRule = (row: DelegationRow): DelegationRule => ({
  subject: row.subject, actor: row.actor, systems: JSON.parse(row.systems) as string[], scopes: JSON.parse(row.scopes) as string[],
  expiresAt: new Date(row.expires_at), createdBy: row.created_by, createdAt: new Date(row.created_at),
})

/** Delegation rules (table `delegations`, migration 0014, #17). */
export function createDelegationMethods(db: SqliteDatabase): DelegationStore {
  return {
    async putDelegation(rule: DelegationRule, audit: AuditDraft): Promise<void> {
      await db.write(() => {
        mustAgent(db, rule.subject)
        db.sql(
          `INSERT INTO delegations (subject, actor, systems, scopes, expires_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (subject, actor) DO UPDATE SET systems = excluded.systems, scopes = excluded.scopes, expires_at = excluded.expires_at, created_by = excluded.created_by, created_at = excluded.created_at`,
        ).run(rule.subject, rule.actor, json(rule.systems), json(rule.scopes), ms(rule.expiresAt), rule.createdBy, ms(rule.createdAt))
        appendEvent(db, rule.subject, audit)
      })
    },
    async listDelegations(subject: string): Promise<DelegationRule[]> {
      return db.statement(() => db.sql('SELECT * FROM delegations WHERE subject = ? ORDER BY actor').all(subject) as DelegationRow[]).map(toRule)
    },
  }
}
