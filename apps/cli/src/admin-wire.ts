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
  status?: 'active' | 'revoked'
  revoked_at?: string
}

/** GET /v1/agents/{handle} `trust` (#15). */
export interface Trust {
  tier: number
  since: string
  reason: string
  counters: { grants: number; approvals_granted: number; incidents: number }
  next_promotion: { to: number; needs: Record<string, number>; missing: string[] } | null
  incidents: { total: number; last?: { at: string; rule: string; reason: string } }
  caps: { max_ttl_seconds: number | null; exchange_rate: { ratePerSecond: number; burst: number } | null }
}

export type AgentDetails = Agent & { keys?: AgentKey[]; bindings?: Binding[]; trust?: Trust }

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
  last_error?: string
  outcome?: { kind: 'revoked' | 'expired' | 'unrevocable-until' | 'failed'; until?: string; error?: string; proof?: 'dead' | 'alive' | 'unknown' }
}

/** What a revocation covers: an agent, one binding (every grant of the agent on `system`) or one grant of the agent. */
export interface RevocationScope {
  kind: string
  handle?: string
  system?: string
  bindingId?: string
  grantId?: string
}

export interface Revocation {
  id: string
  scope: RevocationScope
  reason: string
  actor: string
  status: 'running' | 'done'
  created_at: string
  finished_at?: string
  tasks: RevocationTask[]
}

/** A grant, binding or owner revoke: 202 with the job(s) the cascade runs. */
export interface RevocationStarted {
  revocation: Revocation
}

/** DELETE /v1/agents/{handle}/keys/{kid}: the key is gone and the agent's generation moved. */
export interface KeyRemoved {
  removed: string
  agent: Agent
}

/** Counts in a receipt: what was proven dead, revoked without proof, left to expire, failed. */
export interface ReceiptSummary {
  provably_dead: number
  revoked_unproven: number
  dead_by_expiry: number
  failed: number
}

/** GET /v1/revocations/{id}/receipt (finished jobs only): the signed receipt and its gist. */
export interface ReceiptResponse {
  /** Compact JWS, typ `lanyard-receipt+jwt`, signed by a key in the broker's JWKS. */
  receipt: string
  full_dark_at: string
  summary: ReceiptSummary
}

/** The claims of a receipt (besides iss, sub = revocation id, iat, jti). */
export interface ReceiptClaims {
  revocation: { id: string; scope: RevocationScope; reason: string; actor: string; created_at: string; finished_at?: string }
  grants: { grant_id: string; system: string; outcome: string; proof?: string; expires_at?: string; dead_at: string; error?: string }[]
  summary: ReceiptSummary
  full_dark_at: string
}

/** POST /v1/signing-keys/rotate: the broker's new signing key (the old one stays in the JWKS a while). */
export interface SigningKey {
  kid: string
  alg: string
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

export interface Approval {
  id: string
  handle: string
  system: string
  binding_id: string
  scopes: string[]
  status: 'pending' | 'approved' | 'denied' | 'spent' | 'cancelled'
  approvers: string[]
  reason?: string
  requested_at: string
  expires_at: string
  decided_by?: string
  decided_at?: string
  note?: string
  grant_id?: string
  spent_at?: string
}
