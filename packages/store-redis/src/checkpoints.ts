import type { AgentChainHead, AuditCheckpoint, CheckpointStore } from '@lanyard/core'
import { headOf } from './agents.js'
import { call } from './connection.js'
import type { RedisDatabase } from './database.js'
import { parseHead } from './transaction.js'

/**
 * Chain heads read from each agent's `head` key (walking the `agents` index), and signed
 * checkpoints in one sorted set `checkpoints`, scored by time, each member its JSON record.
 */
export function createCheckpointMethods(db: RedisDatabase): CheckpointStore {
  const { client, keys } = db
  return {
    async listAuditHeads() {
      const heads: AgentChainHead[] = []
      const pageSize = 200
      for (let from = '-'; ; ) {
        const handles = await call(() => client.zrangebylex(keys.agents, from, '+', 'LIMIT', 0, pageSize))
        const found = await Promise.all(handles.map(async (handle) => ({ handle, head: parseHead(await headOf(db, handle)) })))
        for (const { handle, head } of found) if (head !== undefined) heads.push({ handle, seq: head.seq, hash: head.hash })
        if (handles.length < pageSize) break
        from = `(${handles[handles.length - 1]}`
      }
      return heads
    },

    async putCheckpoint(checkpoint: AuditCheckpoint) {
      const record = JSON.stringify({ id: checkpoint.id, at: checkpoint.at.getTime(), root: checkpoint.root, heads: checkpoint.heads, token: checkpoint.token })
      await call(() => client.zadd(keys.checkpoints, checkpoint.at.getTime(), record))
    },

    async listCheckpoints(limit) {
      if (limit <= 0) return []
      const members = await call(() => client.zrevrange(keys.checkpoints, 0, limit - 1))
      return members.map((member) => {
        const r = JSON.parse(member) as { id: string; at: number; root: string; heads: AgentChainHead[]; token: string }
        return { id: r.id, at: new Date(r.at), root: r.root, heads: r.heads, token: r.token }
      })
    },
  }
}
