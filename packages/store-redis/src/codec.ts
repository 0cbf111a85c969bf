import type { AdminPrincipal, ConsoleSession, Agent, Approval, AgentKey, AgentPresence, AuditEvent, MisuseReport, Binding, Grant, Revocation, RevocationTask, SigningKeyRecord, TrustRule, Webhook, WebhookDelivery, DelegationRule } from '@lanyard/core'

// Records are stored as JSON; Dates travel as ISO strings and are revived by field name. Only
// the named top-level fields are revived: `ref`, `target` and audit `details` are opaque JSON
// and come back exactly as written.

export function encode(value: unknown): string {
  return JSON.stringify(value)
}

function revive<T>(json: string, dates: readonly string[]): T {
  const record = JSON.parse(json) as Record<string, unknown>
  for (const field of dates) {
    const value = record[field]
    if (typeof value === 'string') record[field] = new Date(value)
  }
  return record as T
}

function decoder<T>(dates: readonly string[]): (json: string | null | undefined) => T | undefined {
  return (json) => (json === null || json === undefined ? undefined : revive<T>(json, dates))
}

export const decodeAgent = decoder<Agent>(['createdAt', 'updatedAt', 'expiresAt'])
export const decodeAdmin = decoder<AdminPrincipal>(['createdAt', 'expiresAt', 'revokedAt'])
export const decodeSession = decoder<ConsoleSession>(['createdAt', 'expiresAt'])
export const decodeKey = decoder<AgentKey>(['createdAt'])
const decodeBindingFields = decoder<Binding>(['createdAt', 'revokedAt'])

/** Bindings written before binding statuses carry none: they are active. */
export function decodeBinding(json: string | null | undefined): Binding | undefined {
  const binding = decodeBindingFields(json)
  return binding && (binding.status === undefined ? { ...binding, status: 'active' } : binding)
}
export const decodeApproval = decoder<Approval>(['requestedAt', 'expiresAt', 'decidedAt', 'spentAt'])
export const decodeGrant = decoder<Grant>(['createdAt', 'expiresAt', 'endedAt'])
export const decodeEvent = decoder<AuditEvent>(['at'])
export const decodeSigningKey = decoder<SigningKeyRecord>(['createdAt', 'retiredAt'])
export const decodeTrustRule = decoder<TrustRule>(['createdAt'])
export const decodeDelegation = decoder<DelegationRule>(['expiresAt', 'createdAt'])
export const decodePresence = decoder<AgentPresence>(['updatedAt'])
export const decodeReport = decoder<MisuseReport>(['receivedAt'])
export const decodeWebhook = decoder<Webhook>(['createdAt'])
export const decodeDelivery = decoder<WebhookDelivery>(['createdAt', 'nextAttemptAt', 'deliveredAt', 'leaseExpiresAt'])
/** A revocation's own record; its tasks are stored beside it and attached by the reader. */
export const decodeRevocation = decoder<Omit<Revocation, 'tasks'>>(['createdAt', 'finishedAt'])

const decodeTaskFields = decoder<RevocationTask>(['nextAttemptAt', 'leaseExpiresAt'])

export function decodeTask(json: string | null | undefined): RevocationTask | undefined {
  const task = decodeTaskFields(json)
  if (task?.outcome?.kind === 'unrevocable-until') return { ...task, outcome: { ...task.outcome, until: new Date(task.outcome.until) } }
  return task
}

/** Decodes every value, drops the undecodable, sorts by `by` so reads are stable. */
export function decodeAll<T>(values: readonly string[], decode: (json: string) => T | undefined, by: (item: T) => string): T[] {
  const items: T[] = []
  for (const value of values) {
    const item = decode(value)
    if (item !== undefined) items.push(item)
  }
  return items.sort((a, b) => (by(a) < by(b) ? -1 : by(a) > by(b) ? 1 : 0))
}
