/** The /v1 answers the console reads (apps/broker/src/http/wire.ts is their source). */
export type Role = 'admin' | 'responder' | 'owner' | 'auditor'

export interface Me {
  principal: string
  subject: string
  roles: Role[]
  via: string
}

export interface Agent {
  handle: string
  owner: string
  status: 'active' | 'suspended' | 'revoked'
  tier: number
  labels: Record<string, string>
  status_reason?: string
  created_at: string
  /** The agent that spawned it, for a sub-agent. */
  parent?: string
  /** When a sub-agent with a TTL lapses. */
  expires_at?: string
}

export interface Binding {
  id: string
  system: string
  ceiling: string[]
  min_tier: number
  status: string
}

export interface Grant {
  id: string
  system: string
  scopes: string[]
  status: string
  created_at: string
  expires_at?: string
  mechanism?: string
}

export interface AgentDetail extends Agent {
  bindings: Binding[]
  trust: { tier: number; since: string; reason: string; next_promotion: { to: number; missing: unknown } | null; incidents: { total: number } }
}

export interface AuditEvent {
  seq: number
  at: string
  actor: string
  action: string
  target: string
  outcome: string
  details: Record<string, unknown>
}

export interface Verification {
  ok: boolean
  length?: number
  broken_at?: number
  reason?: string
}

export interface RevocationTask {
  grant_id: string
  system: string
  status: string
  attempts: number
  last_error?: string
  outcome?: { kind: string; until?: string }
}

export interface Revocation {
  id: string
  scope: { kind: string; handle?: string; owner?: string }
  reason: string
  actor: string
  status: 'running' | 'done'
  created_at: string
  finished_at?: string
  tasks: RevocationTask[]
}

export interface Approval {
  id: string
  handle: string
  status: string
  system: string
  scopes: string[]
  approvers: string[]
  requested_at: string
  expires_at?: string
  decided_by?: string
  note?: string
}

export interface Webhook {
  id: string
  url: string
  events: string[]
}

export interface Delivery {
  id: string
  status: string
  attempts: number
  created_at: string
  delivered_at?: string
  last_error?: string
}

export interface WhoisMatch {
  handle: string
  owner: string
  grant_id: string
  system: string
  status: string
}
