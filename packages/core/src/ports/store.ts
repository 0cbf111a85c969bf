import type { Agent, AgentKey, AgentStatus } from '../agents/agent.js'
import type { AuditDraft, AuditEvent } from '../audit/event.js'
import type { Binding } from '../bindings/binding.js'
import type { Grant, GrantStatus } from '../exchange/grant.js'
import type { TrustRuleStore } from './trust-rules.js'
import type { Revocation, RevocationEvent, RevocationEventType, RevocationScope, RevocationTask, TaskOutcome } from '../revocation/revocation.js'

export interface AgentFilter {
  readonly owner?: string
  readonly status?: AgentStatus
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

export type GrantSettlement =
  | {
      readonly status: 'live'
      readonly expiresAt: Date
      readonly ref: unknown
      readonly index: Readonly<Record<string, string>>
      readonly sealedSecret?: string
    }
  | { readonly status: 'failed'; readonly error: string }

/**
 * A newly opened revocation job; the store adds one task per grant in scope that is `live` or
 * still `pending` (an exchange in flight when the revocation committed: its credential may yet
 * go live, so the cascade must see it).
 */
export interface RevocationStart {
  readonly id: string
  readonly scope: RevocationScope
  readonly reason: string
  readonly actor: string
  readonly createdAt: Date
  /** Set the agent's status (and bump its generation) in the same write, e.g. revoke. */
  readonly statusChange?: StatusChange
}

export interface TaskResult {
  readonly outcome: TaskOutcome
  /** The grant's new status: `revoked`, `expired`, or unchanged (`live`) when unrevocable. */
  readonly grantStatus: GrantStatus
}

/** A relying party's subscription to revocation events (RFC 8417 SETs, pushed). */
export interface Webhook {
  readonly id: string
  readonly url: string
  /** Event kinds it receives: `revocation.started`, `revocation.finished`. */
  readonly events: readonly string[]
  readonly actor: string
  readonly createdAt: Date
}

/** One signed SET on its way to one webhook; retried until the receiver acknowledges (2xx). */
export interface WebhookDelivery {
  readonly id: string
  readonly webhookId: string
  readonly url: string
  /** The SET, a compact JWS: safe to store, holds no secret. */
  readonly payload: string
  readonly createdAt: Date
  readonly status: 'pending' | 'delivered' | 'failed'
  readonly attempts: number
  readonly nextAttemptAt: Date
  readonly lastError?: string
  readonly deliveredAt?: Date
  readonly leaseOwner?: string
  readonly leaseExpiresAt?: Date
}

export type DeliveryResult =
  | { readonly status: 'delivered'; readonly at: Date }
  | { readonly status: 'retry'; readonly nextAttemptAt: Date; readonly error: string }
  | { readonly status: 'failed'; readonly error: string }

/** `completed`: false when `owner` did not hold the lease (nothing changed). `revocationDone`:
 * this was the job's last pending task, so the job is now `done`. */
export interface TaskCompletion {
  readonly completed: boolean
  readonly revocationDone: boolean
}

export interface SigningKeyRecord {
  readonly kid: string
  readonly alg: string
  readonly publicJwk: Readonly<Record<string, string>>
  /** The private JWK, sealed under the master key. */
  readonly sealedPrivateKey: string
  readonly createdAt: Date
  /** Set at rotation; the key stays published until tokens it signed have expired. */
  readonly retiredAt?: Date
}

/**
 * Everything Lanyard keeps. Each method is one atomic write or one consistent read; every
 * state change appends its audit event in the same transaction (audit before answer), so a
 * store that cannot write the event writes nothing. Methods throw StoreUnavailable when the
 * backend is gone, never a driver error. The conformance kit in @lanyard/core/testing checks
 * all of this against every implementation.
 */
export interface Store extends TrustRuleStore {
  /** Atomic: AgentExists if the handle is taken, even under a concurrent create. */
  createAgent(agent: Agent, audit: AuditDraft): Promise<void>
  getAgent(handle: string): Promise<Agent | undefined>
  listAgents(filter?: AgentFilter): Promise<Agent[]>
  /**
   * Atomic: applies only when the current status is in `change.from` (AgentNotActive otherwise,
   * AgentNotFound if absent), bumps the generation by exactly one, appends the audit event.
   */
  changeAgentStatus(handle: string, change: StatusChange, audit: AuditDraft): Promise<Agent>

  /** Idempotent on (handle, kid). */
  addKey(key: AgentKey, audit: AuditDraft): Promise<void>
  listKeys(handle: string): Promise<AgentKey[]>

  /** Creates or replaces the agent's binding to `binding.system`. */
  putBinding(binding: Binding, audit: AuditDraft): Promise<void>
  getBinding(handle: string, system: string): Promise<Binding | undefined>
  listBindings(handle: string): Promise<Binding[]>

  /**
   * The consistency point of the whole system. Atomic: records `grant` as `pending` only if the
   * agent is `active` and its generation is still `generation`; AgentNotActive otherwise. Once
   * a revocation has been written, no grant can be begun for that agent.
   */
  beginGrant(grant: Grant, generation: number, audit: AuditDraft): Promise<void>
  /** Atomic: `pending` -> `live` or `failed`, with its audit event. Returns the settled grant. */
  settleGrant(handle: string, grantId: string, settlement: GrantSettlement, audit: AuditDraft): Promise<Grant>
  getGrant(handle: string, grantId: string): Promise<Grant | undefined>
  listGrants(handle: string, status?: GrantStatus): Promise<Grant[]>
  /** Whois: grants whose attribution index has `key` = `value`. */
  findGrants(key: string, value: string): Promise<Grant[]>
  /** Grants still `pending` and created before `before`: left by a crash, to reconcile. */
  listPendingGrants(before: Date): Promise<Grant[]>

  /**
   * Atomic: applies the optional status change (bumping the generation), opens the job with one
   * pending task per grant in scope that is `pending`, or `live` and not yet expired at
   * `start.createdAt` (one expired since is dead already: an agent's history holds many;
   * scope `grant` takes its grant whatever its expiry), appends the audit event.
   * AgentNotActive if the status change is not allowed from the current status.
   */
  startRevocation(start: RevocationStart, audit: AuditDraft): Promise<{ revocation: Revocation; agent: Agent }>
  getRevocation(id: string): Promise<Revocation | undefined>
  /** Revocations with pending tasks, oldest first. */
  listOpenRevocations(): Promise<Revocation[]>
  /**
   * Leases up to `limit` pending tasks whose `nextAttemptAt` has come and whose lease is free
   * or expired. A task is leased to one owner at a time.
   */
  claimTasks(owner: string, now: Date, leaseMs: number, limit: number): Promise<RevocationTask[]>
  /**
   * Atomic: finishes the task (only while `owner` holds its lease; `completed: false` otherwise), sets the
   * grant's status, erases its sealed secret, appends the audit event, closes the job when it
   * was the last task.
   */
  completeTask(owner: string, revocationId: string, grantId: string, result: TaskResult, now: Date, audit: AuditDraft): Promise<TaskCompletion>
  /** Releases the lease and schedules another attempt. */
  retryTask(owner: string, revocationId: string, grantId: string, nextAttemptAt: Date, error: string): Promise<void>

  /** Appends one event to the agent's chain (seq and hashes assigned atomically). */
  appendAudit(handle: string, audit: AuditDraft): Promise<AuditEvent>
  /** Events in seq order, from `afterSeq` + 1. */
  readAudit(handle: string, options?: { afterSeq?: number; limit?: number }): Promise<AuditEvent[]>

  /** Replay cache. True the first time `key` is seen before `expiresAt`; false after. Atomic. */
  useOnce(key: string, expiresAt: Date, now: Date): Promise<boolean>
  /** Handle tokens revoked through /oauth/revoke, remembered until they expire. */
  revokeToken(jti: string, expiresAt: Date): Promise<void>
  isTokenRevoked(jti: string, now: Date): Promise<boolean>

  putSigningKey(key: SigningKeyRecord): Promise<void>
  /** Marks a key retired (still published, no longer used to sign). */
  retireSigningKey(kid: string, at: Date): Promise<void>
  listSigningKeys(): Promise<SigningKeyRecord[]>

  /** Creates or replaces a webhook subscription (by id). */
  putWebhook(webhook: Webhook): Promise<void>
  listWebhooks(): Promise<Webhook[]>
  /** False when there was none. Pending deliveries to it are dropped. */
  deleteWebhook(id: string): Promise<boolean>
  /** Atomic: all or none. Each starts `pending`, due at its `nextAttemptAt`. */
  enqueueDeliveries(deliveries: readonly WebhookDelivery[]): Promise<void>
  /**
   * The revocation outbox, at most `limit`, oldest first (of one revocation, started before
   * finished; across revocations as the store orders them): events whose SETs are not enqueued
   * yet. `revocation.started` is in it from the write that starts the revocation,
   * `revocation.finished` from the write that finishes its job, each written in that same
   * transaction, so a crash right after the revocation commits cannot lose its SETs.
   */
  listUnannounced(limit: number): Promise<RevocationEvent[]>
  /**
   * Atomic: takes the event out of the outbox and enqueues `deliveries` (its SETs, possibly
   * none), only if it was still there. False, writing nothing, when another caller announced it.
   */
  announce(revocationId: string, type: RevocationEventType, deliveries: readonly WebhookDelivery[]): Promise<boolean>
  /** Leases up to `limit` due pending deliveries, one owner at a time (like claimTasks). */
  claimDeliveries(owner: string, now: Date, leaseMs: number, limit: number): Promise<WebhookDelivery[]>
  /** Only while `owner` holds the lease (false otherwise). `retry` counts an attempt. */
  finishDelivery(owner: string, id: string, result: DeliveryResult): Promise<boolean>
  listDeliveries(webhookId: string): Promise<WebhookDelivery[]>

  /** Health probe for /readyz: throws StoreUnavailable if the backend is not answering. */
  ping(): Promise<void>
  close(): Promise<void>
}
