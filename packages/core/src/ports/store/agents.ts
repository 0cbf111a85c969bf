import type { Agent, AgentKey, AgentStatus } from '../../agents/agent.js'
import type { AuditDraft } from '../../audit/event.js'

export interface AgentFilter {
  readonly owner?: string
  readonly status?: AgentStatus
  /** Only the children of this agent (#17). */
  readonly parent?: string
  /** Handles sort ascending; returns those after this one. */
  readonly after?: string
  readonly limit?: number
}

export interface StatusChange {
  readonly status: AgentStatus
  readonly reason?: string
  /** The change applies only from one of these statuses; otherwise AgentNotActive. */
  readonly from: readonly AgentStatus[]
}

/** Agents and their public keys. Conformance: `testing/store/agents.ts`. */
export interface AgentStore {
  /** Atomic: AgentExists if the handle is taken, even under a concurrent create. */
  createAgent(agent: Agent, audit: AuditDraft): Promise<void>
  getAgent(handle: string): Promise<Agent | undefined>
  listAgents(filter?: AgentFilter): Promise<Agent[]>
  /**
   * Atomic: applies only when the current status is in `change.from` (AgentNotActive otherwise,
   * AgentNotFound if absent), bumps the generation by exactly one, appends the audit event.
   */
  changeAgentStatus(handle: string, change: StatusChange, audit: AuditDraft): Promise<Agent>

  /** Idempotent on (handle, kid). AgentNotFound if there is no such agent. */
  addKey(key: AgentKey, audit: AuditDraft): Promise<void>
  listKeys(handle: string): Promise<AgentKey[]>
  /**
   * Atomic, one write: deletes the key, bumps the agent's generation by one (handle tokens
   * obtained before stop exchanging) and appends the audit event. Returns the agent after.
   * KeyNotFound if the agent has no such key, AgentNotFound if there is no agent. Removing the
   * last key is allowed: the agent then cannot authenticate with a key.
   */
  removeKey(handle: string, kid: string, audit: AuditDraft): Promise<Agent>
}
