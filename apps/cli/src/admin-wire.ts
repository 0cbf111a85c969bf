/** The `/v1` admin API's JSON shapes, as the broker answers them (snake_case, ISO times). */

export interface Agent {
  handle: string
  owner: string
  status: 'active' | 'suspended' | 'revoked'
  tier: number
  generation: number
  labels: Record<string, string>
  status_reason?: string
  created_at: string
  updated_at: string
}

export interface AgentKey {
  kid: string
  alg: string
  created_at: string
}

export interface Binding {
  id: string
  system: string
  target: unknown
  ceiling: string[]
  min_tier?: number | null
  created_at: string
}

export type AgentDetails = Agent & { keys?: AgentKey[]; bindings?: Binding[] }

export interface Grant {
  id: string
  system: string
  scopes: string[]
  status: string
  created_at: string
  expires_at?: string
  ended_at?: string
}

export interface RevocationTask {
  grant_id: string
  system: string
  status: 'pending' | 'done'
  attempts: number
  outcome?: { kind: 'revoked' | 'expired' | 'unrevocable-until' | 'failed'; until?: string; error?: string }
}

export interface Revocation {
  id: string
  scope: { kind: string; handle?: string }
  reason: string
  actor: string
  status: 'running' | 'done'
  created_at: string
  finished_at?: string
  tasks: RevocationTask[]
}

export interface AuditEvent {
  seq: number
  prev_hash: string
  hash: string
  at: string
  actor: string
  action: string
  target: string
  outcome: string
  details: unknown
}

export interface AuditVerification {
  ok: boolean
  length?: number
  head?: string
  broken_at?: number
  reason?: string
}

export interface WhoisMatch {
  handle: string
  owner: string
  grant_id: string
  system: string
  scopes: string[]
  status: string
  created_at: string
  expires_at?: string
}
