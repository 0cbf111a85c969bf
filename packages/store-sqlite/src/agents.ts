import { AgentExists, AgentNotActive, AgentNotFound, KeyNotFound } from '@lanyard/core'
import type { Agent, AgentFilter, AgentKey, AgentStore, AuditDraft, StatusChange } from '@lanyard/core'
import { appendEvent } from './audit.js'
import { json, ms, type SqliteDatabase } from './database.js'
import { toAgent, toKey, type AgentRow, type KeyRow } from './rows.js'

/** The agent's row, inside the caller's read or write. */
export function agentRow(db: SqliteDatabase, handle: string): AgentRow | undefined {
  return db.sql('SELECT * FROM agents WHERE handle = ?').get(handle) as AgentRow | undefined
}

/** The agent's row; AgentNotFound when there is none. */
export function mustAgent(db: SqliteDatabase, handle: string): AgentRow {
  const row = agentRow(db, handle)
  if (row === undefined) throw new AgentNotFound(handle)
  return row
}

/** Applies `change` inside the caller's write (AgentNotActive when not allowed from the current
 * status), bumping the generation by one. */
export function changeStatus(db: SqliteDatabase, handle: string, change: StatusChange, at: Date): Agent {
  const row = mustAgent(db, handle)
  if (!change.from.includes(row.status)) throw new AgentNotActive(handle, row.status)
  const next: AgentRow = { ...row, status: change.status, status_reason: change.reason ?? null, generation: row.generation + 1, updated_at: ms(at) }
  db.sql('UPDATE agents SET status = ?, status_reason = ?, generation = ?, updated_at = ? WHERE handle = ?').run(next.status, next.status_reason, next.generation, next.updated_at, handle)
  return toAgent(next)
}

/** Agents (table `agents`) and their keys (`agent_keys`). */
export function createAgentMethods(db: SqliteDatabase): AgentStore {
  return {
    async createAgent(agent: Agent, audit: AuditDraft): Promise<void> {
      await db.write(() => {
        try {
          // A child is born only under a parent that is active in this same write: a parent
          // revoked or suspended first leaves no child behind its cut.
          if (agent.parent !== undefined) {
            const parent = mustAgent(db, agent.parent)
            if (parent.status !== 'active') throw new AgentNotActive(parent.handle, parent.status)
          }
          db.sql('INSERT INTO agents (handle, owner, status, tier, generation, labels, status_reason, created_at, updated_at, parent, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
            agent.handle, agent.owner, agent.status, agent.tier, agent.generation, json(agent.labels), agent.statusReason ?? null, ms(agent.createdAt), ms(agent.updatedAt), agent.parent ?? null, agent.expiresAt === undefined ? null : ms(agent.expiresAt),
          )
        } catch (error) {
          if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new AgentExists(agent.handle, { cause: error })
          throw error
        }
        appendEvent(db, agent.handle, audit)
      })
    },

    async getAgent(handle: string): Promise<Agent | undefined> {
      const row = db.statement(() => agentRow(db, handle))
      return row && toAgent(row)
    },

    async listAgents(filter: AgentFilter = {}): Promise<Agent[]> {
      const rows = db.read(
        () =>
          db.sql(
            `SELECT * FROM agents
             WHERE (:owner IS NULL OR owner = :owner) AND (:status IS NULL OR status = :status) AND (:after IS NULL OR handle > :after) AND (:parent IS NULL OR parent = :parent)
             ORDER BY handle LIMIT :limit`,
          ).all({ owner: filter.owner ?? null, status: filter.status ?? null, after: filter.after ?? null, parent: filter.parent ?? null, limit: filter.limit ?? -1 }) as AgentRow[],
      )
      return rows.map(toAgent)
    },

    async changeAgentStatus(handle: string, change: StatusChange, audit: AuditDraft): Promise<Agent> {
      return db.write(() => {
        const agent = changeStatus(db, handle, change, audit.at)
        appendEvent(db, handle, audit)
        return agent
      })
    },

    async addKey(key: AgentKey, audit: AuditDraft): Promise<void> {
      await db.write(() => {
        mustAgent(db, key.handle)
        const added = db.sql('INSERT INTO agent_keys (handle, kid, alg, jwk, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (handle, kid) DO NOTHING').run(
          key.handle, key.kid, key.alg, json(key.jwk), ms(key.createdAt),
        )
        // Idempotent: the same key again changes nothing, so it records nothing either.
        if (added.changes === 1) appendEvent(db, key.handle, audit)
      })
    },

    async removeKey(handle: string, kid: string, audit: AuditDraft): Promise<Agent> {
      return db.write(() => {
        const row = mustAgent(db, handle)
        if (db.sql('DELETE FROM agent_keys WHERE handle = ? AND kid = ?').run(handle, kid).changes === 0) throw new KeyNotFound(handle, kid)
        const next: AgentRow = { ...row, generation: row.generation + 1, updated_at: ms(audit.at) }
        db.sql('UPDATE agents SET generation = ?, updated_at = ? WHERE handle = ?').run(next.generation, next.updated_at, handle)
        appendEvent(db, handle, audit)
        return toAgent(next)
      })
    },

    async listKeys(handle: string): Promise<AgentKey[]> {
      return db.statement(() => db.sql('SELECT * FROM agent_keys WHERE handle = ? ORDER BY created_at, kid').all(handle) as KeyRow[]).map(toKey)
    },
  }
}
