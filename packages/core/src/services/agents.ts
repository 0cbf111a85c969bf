import { AgentNotActive, RequestInvalid } from '../errors.js'
import type { Agent, AgentKey, AgentStatus, TrustTier } from '../agents/agent.js'
import { parseHandle } from '../agents/handle.js'
import { normaliseIdentity } from '../agents/identity-string.js'
import { parseAgentKey } from '../agents/keys.js'
import type { Clock } from '../ports/clock.js'
import type { Logger } from '../ports/connector.js'
import type { EventBus } from '../ports/event-bus.js'
import type { AgentFilter, AgentStore } from '../ports/store/index.js'
import { auditDraft, mustGetAgent, publishChanged } from './context.js'

export interface NewAgent {
  readonly handle: string
  readonly owner: string
  readonly tier?: TrustTier
  readonly labels?: Record<string, string>
}

/** Agents and their keys. Revoking an agent is a revocation (services/revocations.ts). */
export interface AgentService {
  createAgent(actor: string, input: NewAgent): Promise<Agent>
  getAgent(handle: string): Promise<Agent>
  listAgents(filter?: AgentFilter): Promise<Agent[]>
  listKeys(handle: string): Promise<AgentKey[]>
  addKey(actor: string, handle: string, jwk: unknown): Promise<AgentKey>
  /**
   * Removes one key and bumps the generation in the same write: handle tokens obtained before
   * (with that key or any other) stop exchanging. Removing the last key is allowed; the agent
   * then cannot authenticate with a key until one is added. KeyNotFound for an unknown kid.
   */
  removeKey(actor: string, handle: string, kid: string): Promise<Agent>
  suspend(actor: string, handle: string, reason: string): Promise<Agent>
  resume(actor: string, handle: string, reason: string): Promise<Agent>
}

const emailLike = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

export function createAgentService(deps: { store: AgentStore; bus: EventBus; clock: Clock; log: Logger }): AgentService {
  const { store, clock } = deps

  async function changeStatus(actor: string, handle: string, status: AgentStatus, from: AgentStatus[], action: string, reason: string): Promise<Agent> {
    await mustGetAgent(store, handle)
    const agent = await store.changeAgentStatus(handle, { status, reason, from }, auditDraft(clock, actor, action, handle, { reason }))
    return publishChanged(deps, agent)
  }

  return {
    async createAgent(actor, input) {
      const handle = parseHandle(input.handle)
      const issues: string[] = []
      const owner = typeof input.owner === 'string' ? normaliseIdentity(input.owner) : { reason: 'expected an email address' }
      if ('reason' in owner) issues.push(`owner: ${owner.reason}`)
      else if (!emailLike.test(owner.value)) issues.push('owner: expected an email address')
      if (input.tier !== undefined && ![0, 1, 2, 3].includes(input.tier)) issues.push('tier: expected 0, 1, 2 or 3')
      if (issues.length > 0) throw new RequestInvalid(issues)
      const now = clock.now()
      const agent: Agent = { handle, owner: 'value' in owner ? owner.value : input.owner, status: 'active', tier: input.tier ?? 0, generation: 1, labels: { ...input.labels }, createdAt: now, updatedAt: now }
      await store.createAgent(agent, auditDraft(clock, actor, 'agent.created', handle, { owner: agent.owner, tier: agent.tier, labels: agent.labels }))
      return agent
    },
    getAgent: (handle) => mustGetAgent(store, handle),
    listAgents(filter) {
      // Filtered by the stored form of the owner, like revokeOwner.
      if (filter?.owner === undefined) return store.listAgents(filter)
      const normal = normaliseIdentity(filter.owner)
      return 'reason' in normal ? Promise.resolve([]) : store.listAgents({ ...filter, owner: normal.value })
    },
    async listKeys(handle) {
      await mustGetAgent(store, handle)
      return store.listKeys(handle)
    },
    async addKey(actor, handle, jwk) {
      const agent = await mustGetAgent(store, handle)
      if (agent.status === 'revoked') throw new AgentNotActive(handle, agent.status)
      const key = await parseAgentKey(agent.handle, jwk, clock.now())
      await store.addKey(key, auditDraft(clock, actor, 'key.added', agent.handle, { kid: key.kid, alg: key.alg }))
      return key
    },
    async removeKey(actor, handle, kid) {
      const agent = await mustGetAgent(store, handle)
      const after = await store.removeKey(agent.handle, kid, auditDraft(clock, actor, 'key.removed', agent.handle, { kid }))
      return publishChanged(deps, after)
    },
    suspend: (actor, handle, reason) => changeStatus(actor, handle, 'suspended', ['active'], 'agent.suspended', reason),
    resume: (actor, handle, reason) => changeStatus(actor, handle, 'active', ['suspended'], 'agent.resumed', reason),
  }
}
