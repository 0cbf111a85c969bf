import type { AgentChainHead, AuditCheckpoint, CheckpointStore } from '@lanyard/core'
import { ms, type SqliteDatabase } from './database.js'

interface CheckpointRow {
  id: string
  at: number
  root: string
  heads: string
  token: string
}

/** Chain heads (columns of `agents`, migration 0008) and signed checkpoints (table `audit_checkpoints`). */
export function createCheckpointMethods(db: SqliteDatabase): CheckpointStore {
  return {
    async listAuditHeads(): Promise<AgentChainHead[]> {
      return db.statement(() => db.sql('SELECT handle, audit_seq AS seq, audit_hash AS hash FROM agents WHERE audit_seq > 0 ORDER BY handle').all() as AgentChainHead[])
    },

    async putCheckpoint(checkpoint: AuditCheckpoint): Promise<void> {
      await db.write(() => {
        db.sql('INSERT INTO audit_checkpoints (id, at, root, heads, token) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING').run(
          checkpoint.id, ms(checkpoint.at), checkpoint.root, JSON.stringify(checkpoint.heads), checkpoint.token,
        )
      })
    },

    async listCheckpoints(limit: number): Promise<AuditCheckpoint[]> {
      const rows = db.statement(() => db.sql('SELECT * FROM audit_checkpoints ORDER BY at DESC, id DESC LIMIT ?').all(Math.max(0, limit)) as CheckpointRow[])
      return rows.map((row) => ({ id: row.id, at: new Date(row.at), root: row.root, heads: JSON.parse(row.heads) as AgentChainHead[], token: row.token }))
    },
  }
}
