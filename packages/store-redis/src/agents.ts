import { AgentExists, AgentNotActive, AgentNotFound, KeyNotFound, type Agent, type AgentFilter, type AgentStore, type StatusChange } from '@lanyard/core'
import { decodeAgent, decodeAll, decodeKey, encode } from './codec.js'
import { call } from './connection.js'
import type { RedisDatabase } from './database.js'
import { Transaction } from './transaction.js'

/** The agent after `change` (AgentNotActive when not allowed from its status), generation + 1. */
export function applyStatus(agent: Agent, change: StatusChange, at: Date): Agent {
  if (!change.from.includes(agent.status)) throw new AgentNotActive(agent.handle, agent.status)
  const { statusReason: _previous, ...rest } = agent
  return { ...rest, status: change.status, generation: agent.generation + 1, updatedAt: at, ...(change.reason === undefined ? {} : { statusReason: change.reason }) }
}

export async function headOf(db: RedisDatabase, handle: string): Promise<string | null> {
  const { client, keys } = db
  return call(() => client.get(keys.head(handle)))
}

export async function readAgent(db: RedisDatabase, handle: string): Promise<Agent | undefined> {
  const { client, keys } = db
  return decodeAgent(await call(() => client.get(keys.agent(handle))))
}

/** Agents (`agent`, indexed by `agents` and `owner`) and their keys (`keys`), under the agent's tag. */
export function createAgentMethods(db: RedisDatabase): AgentStore {
  const { client, keys, snapshot, mutate, index } = db
  return {
    async createAgent(agent, audit) {
      const { handle } = agent
      // A child is born under an active parent. The parent's record lives in another slot, so
      // this is a read before the commit, not a guard in it: the tree cascade (#17) covers a
      // child that lands just after its parent's cut.
      if (agent.parent !== undefined) {
        const parent = await readAgent(db, agent.parent)
        if (parent === undefined) throw new AgentNotFound(agent.parent)
        if (parent.status !== 'active') throw new AgentNotActive(parent.handle, parent.status)
      }
      const txn = new Transaction().set(keys.agent(handle), encode(agent)).set(keys.openGrantsComplete(handle), '1')
      // Absent head = no agent: both are written by this commit only.
      txn.appendAudit(keys, handle, null, audit)
      const children = agent.parent === undefined ? [] : [index.zadd(keys.children(agent.parent), 0, handle)()]
      await Promise.all([index.zadd(keys.agents, 0, handle)(), index.zadd(keys.owner(agent.owner), 0, handle)(), ...children])
      if (!(await db.commit(txn))) throw new AgentExists(handle)
    },

    getAgent: (handle) => readAgent(db, handle),

    async listAgents(filter: AgentFilter = {}) {
      // Handles come from the lexically sorted index (per owner when filtering by owner); each
      // is then read from its agent record, which decides. Status has no index: filtering by
      // status alone reads every agent. Fine for thousands of agents; past that, add a
      // per-status index maintained like the owner index.
      const indexKey = filter.parent !== undefined ? keys.children(filter.parent) : filter.owner === undefined ? keys.agents : keys.owner(filter.owner)
      const limit = filter.limit ?? Number.POSITIVE_INFINITY
      const pageSize = 200
      const found: Agent[] = []
      let from = filter.after === undefined ? '-' : `(${filter.after}`
      while (found.length < limit) {
        const handles = await call(() => client.zrangebylex(indexKey, from, '+', 'LIMIT', 0, pageSize))
        const agents = await Promise.all(handles.map((handle) => readAgent(db, handle)))
        for (const agent of agents) {
          if (agent === undefined) continue
          if (filter.owner !== undefined && agent.owner !== filter.owner) continue
          if (filter.parent !== undefined && agent.parent !== filter.parent) continue
          if (filter.status !== undefined && agent.status !== filter.status) continue
          if (found.push(agent) >= limit) break
        }
        if (handles.length < pageSize) break
        from = `(${handles[handles.length - 1]}`
      }
      return found
    },

    async changeAgentStatus(handle, change, audit) {
      // Guarded on the agent record alone (exchanges never write it); the event is sealed in
      // the commit, so the agent's own traffic cannot starve a suspend.
      for (;;) {
        const record = await call(() => client.get(keys.agent(handle)))
        const agent = decodeAgent(record)
        if (agent === undefined) throw new AgentNotFound(handle)
        const changed = applyStatus(agent, change, audit.at)
        const txn = new Transaction().expect(keys.agent(handle), record).set(keys.agent(handle), encode(changed)).sealAudit(keys, handle, audit, db.heads)
        if (await db.commit(txn)) return changed
      }
    },

    async addKey(key, audit) {
      const { handle } = key
      await mutate(async () => {
        const [agent, existing] = (await snapshot([
          ['exists', keys.agent(handle)],
          ['hexists', keys.keys(handle), key.kid],
        ])) as [number, number]
        if (agent === 0) throw new AgentNotFound(handle)
        if (existing === 1) return { result: undefined }
        // Agents are never deleted: existence read once holds. Guarded on the key being absent.
        const txn = new Transaction().expect(keys.keys(handle), null, key.kid).hset(keys.keys(handle), key.kid, encode(key)).sealAudit(keys, handle, audit, db.heads)
        return { result: undefined, write: { txn } }
      })
    },

    async removeKey(handle, kid, audit) {
      return mutate(async () => {
        const [head, record, existing] = (await snapshot([
          ['get', keys.head(handle)],
          ['get', keys.agent(handle)],
          ['hexists', keys.keys(handle), kid],
        ])) as [string | null, string | null, number]
        const agent = decodeAgent(record)
        if (agent === undefined) throw new AgentNotFound(handle)
        if (existing === 0) throw new KeyNotFound(handle, kid)
        const bumped: Agent = { ...agent, generation: agent.generation + 1, updatedAt: audit.at }
        // Guarded on the head: a key added or removed, or a status change, in between moves it.
        const txn = new Transaction().hdel(keys.keys(handle), kid).set(keys.agent(handle), encode(bumped))
        txn.appendAudit(keys, handle, head, audit)
        return { result: bumped, write: { txn } }
      })
    },

    async listKeys(handle) {
      return decodeAll(await call(() => client.hvals(keys.keys(handle))), decodeKey, (k) => `${k.createdAt.toISOString()} ${k.kid}`)
    },
  }
}
