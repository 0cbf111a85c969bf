import type { RevocationEvent, RevocationEventType } from '../../revocation/revocation.js'

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

/** Webhook subscriptions, their delivery queue, and the revocation outbox that feeds it.
 * Conformance: `testing/store/webhooks.ts`. */
export interface WebhookStore {
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
}
