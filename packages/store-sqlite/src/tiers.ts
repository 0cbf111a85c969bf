import type { TierRecord, TierStore } from '@lanyard/core'
import { mustAgent } from './agents.js'
import { appendEvent } from './audit.js'
import { json, ms, type SqliteDatabase } from './database.js'
import { toAgent } from './rows.js'

/** JSON -> TierRecord, reviving its two dates. */
export function decodeTierRecord(text: string): TierRecord {
  const record = JSON.parse(text) as TierRecord & { since: string; lastIncident?: { at: string } }
  return { ...record, since: new Date(record.since), ...(record.lastIncident === undefined ? {} : { lastIncident: { ...record.lastIncident, at: new Date(record.lastIncident.at) } }) } as TierRecord
}

/** Trust records (table `tier_records`, migration 0005) and the agent's tier. */
export function createTierMethods(db: SqliteDatabase): TierStore {
  const read = (handle: string) => {
    const text = db.sql('SELECT record FROM tier_records WHERE handle = ?').pluck().get(handle) as string | undefined
    return text === undefined ? undefined : decodeTierRecord(text)
  }
  return {
    async getTierRecord(handle) {
      return db.statement(() => read(handle))
    },
    async applyTierStep(handle, step, audit) {
      return db.write(() => {
        const agent = toAgent(mustAgent(db, handle))
        const result = step(read(handle), agent)
        db.sql('INSERT INTO tier_records (handle, record) VALUES (?, ?) ON CONFLICT (handle) DO UPDATE SET record = excluded.record').run(handle, json(result.record))
        if (result.change !== undefined) db.sql('UPDATE agents SET tier = ?, updated_at = ? WHERE handle = ?').run(result.record.tier, ms(result.record.since), handle)
        const draft = audit(result)
        if (draft !== undefined) appendEvent(db, handle, draft)
        return result
      })
    },
  }
}
