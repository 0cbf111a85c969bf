import type { Agent, AgentKey, AgentStatus, AuditEvent, Binding, Grant, GrantStatus, Revocation, RevocationScope, RevocationTask, SigningKeyRecord, TaskOutcome, TrustRule, TrustRuleShape, TrustTier, Webhook, WebhookDelivery } from '@lanyard/core'

// Rows as better-sqlite3 returns them, and their mapping to the domain. Times are epoch ms;
// nullable columns become absent properties, never `null`, so rows compare equal to what was put.

export interface AgentRow {
  handle: string
  owner: string
  status: AgentStatus
  tier: number
  generation: number
  labels: string
  status_reason: string | null
  created_at: number
  updated_at: number
  /** Migration 0014: a child's parent and end of life. */
  parent: string | null
  expires_at: number | null
}

export interface GrantRow {
  id: string
  handle: string
  binding_id: string
  system: string
  connector_type: string
  scopes: string
  status: GrantStatus
  created_at: number
  expires_at: number | null
  ref: string | null
  attribution: string
  sealed_secret: string | null
  error: string | null
  ended_at: number | null
  /** Migration 0004: the approval spent, JSON `{ id, by }`. */
  approval: string | null
}

export interface TaskRow {
  revocation_id: string
  grant_id: string
  handle: string
  system: string
  status: 'pending' | 'done'
  attempts: number
  next_attempt_at: number
  last_error: string | null
  outcome: string | null
  lease_owner: string | null
  lease_expires_at: number | null
}

export interface RevocationRow {
  id: string
  handle: string
  scope: string
  reason: string
  actor: string
  created_at: number
  status: 'running' | 'done'
  finished_at: number | null
}

export interface AuditRow {
  handle: string
  seq: number
  prev_hash: string
  hash: string
  at: number
  actor: string
  action: string
  target: string
  outcome: 'success' | 'failure'
  details: string
}

export interface KeyRow {
  handle: string
  kid: string
  alg: AgentKey['alg']
  jwk: string
  created_at: number
}

export interface BindingRow {
  handle: string
  system: string
  id: string
  target: string
  ceiling: string
  min_tier: number
  created_at: number
  /** Migration 0004: the approval policy, JSON. */
  approval: string | null
  status: 'active' | 'revoked'
  revoked_at: number | null
  exclusive_key: string | null
  /** Migration 0014: 1 when the binding may be delegated to children. */
  delegable: number | null
}

export interface SigningKeyRow {
  kid: string
  alg: string
  public_jwk: string
  sealed_private_key: string
  created_at: number
  retired_at: number | null
}

export interface WebhookRow {
  id: string
  url: string
  events: string
  actor: string
  created_at: number
}

export interface DeliveryRow {
  id: string
  webhook_id: string
  url: string
  payload: string
  created_at: number
  status: WebhookDelivery['status']
  attempts: number
  next_attempt_at: number
  last_error: string | null
  delivered_at: number | null
  lease_owner: string | null
  lease_expires_at: number | null
}

/** `{ [key]: value }` when the column holds something, `{}` when it is NULL. */
function present<K extends string, V>(key: K, value: V | null, map: (value: V) => unknown = (v) => v): Partial<Record<K, unknown>> {
  return value === null ? {} : ({ [key]: map(value) } as Record<K, unknown>)
}

const date = (ms: number): Date => new Date(ms)
const json = (text: string): unknown => JSON.parse(text)

export function toAgent(row: AgentRow): Agent {
  return {
    handle: row.handle,
    owner: row.owner,
    status: row.status,
    tier: row.tier as TrustTier,
    generation: row.generation,
    labels: JSON.parse(row.labels) as Record<string, string>,
    ...(present('statusReason', row.status_reason) as { statusReason?: string }),
    ...(present('parent', row.parent) as { parent?: string }),
    ...(present('expiresAt', row.expires_at, date) as { expiresAt?: Date }),
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  }
}

export function toKey(row: KeyRow): AgentKey {
  return { handle: row.handle, kid: row.kid, alg: row.alg, jwk: JSON.parse(row.jwk) as Record<string, string>, createdAt: date(row.created_at) }
}

export function toBinding(row: BindingRow): Binding {
  return {
    id: row.id,
    handle: row.handle,
    system: row.system,
    target: JSON.parse(row.target) as unknown,
    ceiling: JSON.parse(row.ceiling) as string[],
    minTier: row.min_tier,
    createdAt: date(row.created_at),
    ...(present('approval', row.approval, json) as { approval?: Binding['approval'] }),
    status: row.status,
    ...(row.revoked_at === null ? {} : { revokedAt: date(row.revoked_at) }),
    ...(row.exclusive_key === null ? {} : { exclusiveKey: row.exclusive_key }),
    ...(row.delegable === 1 ? { delegable: true } : {}),
  }
}

export function toGrant(row: GrantRow): Grant {
  return {
    id: row.id,
    handle: row.handle,
    bindingId: row.binding_id,
    system: row.system,
    connectorType: row.connector_type,
    scopes: JSON.parse(row.scopes) as string[],
    status: row.status,
    createdAt: date(row.created_at),
    index: JSON.parse(row.attribution) as Record<string, string>,
    ...(present('expiresAt', row.expires_at, date) as { expiresAt?: Date }),
    ...(present('ref', row.ref, json) as { ref?: unknown }),
    ...(present('sealedSecret', row.sealed_secret) as { sealedSecret?: string }),
    ...(present('error', row.error) as { error?: string }),
    ...(present('endedAt', row.ended_at, date) as { endedAt?: Date }),
    ...(present('approval', row.approval, json) as { approval?: Grant['approval'] }),
  }
}

/** Outcomes go to JSON with `until` as ISO text; this brings the Date back. */
export function toOutcome(text: string): TaskOutcome {
  const outcome = JSON.parse(text) as TaskOutcome | { kind: 'unrevocable-until'; until: string }
  return outcome.kind === 'unrevocable-until' ? { kind: outcome.kind, until: new Date(outcome.until) } : outcome
}

export function toTask(row: TaskRow): RevocationTask {
  return {
    revocationId: row.revocation_id,
    grantId: row.grant_id,
    handle: row.handle,
    system: row.system,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: date(row.next_attempt_at),
    ...(present('lastError', row.last_error) as { lastError?: string }),
    ...(present('outcome', row.outcome, toOutcome) as { outcome?: TaskOutcome }),
    ...(present('leaseOwner', row.lease_owner) as { leaseOwner?: string }),
    ...(present('leaseExpiresAt', row.lease_expires_at, date) as { leaseExpiresAt?: Date }),
  }
}

export function toRevocation(row: RevocationRow, tasks: readonly TaskRow[]): Revocation {
  return {
    id: row.id,
    scope: JSON.parse(row.scope) as RevocationScope,
    reason: row.reason,
    actor: row.actor,
    createdAt: date(row.created_at),
    status: row.status,
    ...(present('finishedAt', row.finished_at, date) as { finishedAt?: Date }),
    tasks: tasks.map(toTask),
  }
}

export function toAuditEvent(row: AuditRow): AuditEvent {
  return {
    handle: row.handle,
    seq: row.seq,
    prevHash: row.prev_hash,
    hash: row.hash,
    at: date(row.at),
    actor: row.actor,
    action: row.action,
    target: row.target,
    outcome: row.outcome,
    details: JSON.parse(row.details) as Record<string, unknown>,
  }
}

export function toSigningKey(row: SigningKeyRow): SigningKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg,
    publicJwk: JSON.parse(row.public_jwk) as Record<string, string>,
    sealedPrivateKey: row.sealed_private_key,
    createdAt: date(row.created_at),
    ...(present('retiredAt', row.retired_at, date) as { retiredAt?: Date }),
  }
}

export function toWebhook(row: WebhookRow): Webhook {
  return { id: row.id, url: row.url, events: JSON.parse(row.events) as string[], actor: row.actor, createdAt: date(row.created_at) }
}

export function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    url: row.url,
    payload: row.payload,
    createdAt: date(row.created_at),
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: date(row.next_attempt_at),
    ...(present('lastError', row.last_error) as { lastError?: string }),
    ...(present('deliveredAt', row.delivered_at, date) as { deliveredAt?: Date }),
    ...(present('leaseOwner', row.lease_owner) as { leaseOwner?: string }),
    ...(present('leaseExpiresAt', row.lease_expires_at, date) as { leaseExpiresAt?: Date }),
  }
}

/** A row of `trust_rules` (migration 0004). */
export interface TrustRuleRow {
  id: string
  handle: string
  issuer: string
  audience: string
  subject: string
  claims: string
  shape: string | null
  created_at: number
}

export function toTrustRule(row: TrustRuleRow): TrustRule {
  return {
    id: row.id,
    handle: row.handle,
    issuer: row.issuer,
    audience: row.audience,
    subject: row.subject,
    claims: JSON.parse(row.claims) as TrustRule['claims'],
    ...(row.shape === null ? {} : { shape: row.shape as TrustRuleShape }),
    createdAt: date(row.created_at),
  }
}
