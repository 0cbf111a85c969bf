import { randomUUID } from 'node:crypto'
import type { Clock } from '../ports/clock.js'
import type { DeliveryResult, Webhook, WebhookDelivery, WebhookStore } from '../ports/store/index.js'
import type { RevocationEvent } from '../revocation/revocation.js'

/**
 * Relying parties' webhook subscriptions, the revocation outbox and the delivery queue: what
 * the broker's webhook module (apps/broker/src/webhooks) runs on, so that it never holds the
 * Store itself. URL policy and SET signing stay with the caller.
 */
export interface WebhookService {
  /** Records a subscription to `events` at `url` (already checked by the caller). */
  subscribe(actor: string, url: string, events: readonly string[]): Promise<Webhook>
  list(): Promise<Webhook[]>
  /** Undefined when there is no such webhook. */
  get(id: string): Promise<Webhook | undefined>
  /** False when there was none; its pending deliveries are dropped. */
  remove(id: string): Promise<boolean>
  deliveries(webhookId: string): Promise<WebhookDelivery[]>
  /** Outbox events whose SETs are not enqueued yet, at most `limit`, oldest first. */
  unannounced(limit: number): Promise<RevocationEvent[]>
  /** Takes the event out of the outbox and enqueues its `deliveries`, once: false when another
   * replica announced it first. */
  announce(event: RevocationEvent, deliveries: readonly WebhookDelivery[]): Promise<boolean>
  /** Enqueues deliveries outside the revocation outbox (approval requests, signed audit checkpoints). All or none. */
  enqueue(deliveries: readonly WebhookDelivery[]): Promise<void>
  /** Leases up to `limit` due pending deliveries, one owner at a time. */
  claimDeliveries(owner: string, now: Date, leaseMs: number, limit: number): Promise<WebhookDelivery[]>
  /** Only while `owner` holds the lease (false otherwise). `retry` counts an attempt. */
  finishDelivery(owner: string, id: string, result: DeliveryResult): Promise<boolean>
}

export function createWebhookService(deps: { store: WebhookStore; clock: Clock }): WebhookService {
  const { store, clock } = deps
  return {
    async subscribe(actor, url, events) {
      const webhook: Webhook = { id: randomUUID(), url, events, actor, createdAt: clock.now() }
      await store.putWebhook(webhook)
      return webhook
    },
    list: () => store.listWebhooks(),
    async get(id) {
      return (await store.listWebhooks()).find((hook) => hook.id === id)
    },
    remove: (id) => store.deleteWebhook(id),
    deliveries: (webhookId) => store.listDeliveries(webhookId),
    unannounced: (limit) => store.listUnannounced(limit),
    announce: (event, deliveries) => store.announce(event.revocation.id, event.type, deliveries),
    enqueue: (deliveries) => store.enqueueDeliveries(deliveries),
    claimDeliveries: (owner, now, leaseMs, limit) => store.claimDeliveries(owner, now, leaseMs, limit),
    finishDelivery: (owner, id, result) => store.finishDelivery(owner, id, result),
  }
}
