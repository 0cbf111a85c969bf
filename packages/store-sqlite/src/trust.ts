import type { AuditDraft, TrustRule, TrustRuleStore } from '@lanyard/core'
import { mustAgent } from './agents.js'
import { appendEvent } from './audit.js'
import { json, ms, type SqliteDatabase } from './database.js'
import { toTrustRule, type TrustRuleRow } from './rows.js'

/** Trust rules (table `trust_rules`, #16): found by agent for the API, by issuer at sign-in. */
export function createTrustRuleMethods(db: SqliteDatabase): TrustRuleStore {
  return {
    async putTrustRule(rule: TrustRule, audit: AuditDraft): Promise<void> {
      await db.write(() => {
        mustAgent(db, rule.handle)
        db.sql(
          `INSERT INTO trust_rules (id, handle, issuer, audience, subject, claims, shape, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET issuer = excluded.issuer, audience = excluded.audience, subject = excluded.subject, claims = excluded.claims, shape = excluded.shape`,
        ).run(rule.id, rule.handle, rule.issuer, rule.audience, rule.subject, json(rule.claims), rule.shape ?? null, ms(rule.createdAt))
        appendEvent(db, rule.handle, audit)
      })
    },

    async listTrustRules(handle: string): Promise<TrustRule[]> {
      return db.statement(() => db.sql('SELECT * FROM trust_rules WHERE handle = ? ORDER BY created_at, id').all(handle) as TrustRuleRow[]).map(toTrustRule)
    },

    async listTrustRulesByIssuer(issuer: string): Promise<TrustRule[]> {
      return db.statement(() => db.sql('SELECT * FROM trust_rules WHERE issuer = ? ORDER BY created_at, id').all(issuer) as TrustRuleRow[]).map(toTrustRule)
    },

    async deleteTrustRule(handle: string, id: string, audit: AuditDraft): Promise<boolean> {
      return db.write(() => {
        const deleted = db.sql('DELETE FROM trust_rules WHERE handle = ? AND id = ?').run(handle, id).changes === 1
        if (deleted) appendEvent(db, handle, audit)
        return deleted
      })
    },
  }
}
