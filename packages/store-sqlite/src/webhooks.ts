import type { DeliveryResult, RevocationEvent, RevocationEventType, Webhook, WebhookDelivery, WebhookStore } from '@lanyard/core'
import { json, ms, type SqliteDatabase } from './database.js'
import { readRevocation } from './revocations.js'
import { toDelivery, toWebhook, type DeliveryRow, type WebhookRow } from './rows.js'

function enqueue(db: SqliteDatabase, deliveries: readonly WebhookDelivery[]): void {
  const insert = db.sql(
    `INSERT INTO webhook_deliveries (id, webhook_id, url, payload, created_at, status, attempts, next_attempt_at, last_error, delivered_at, lease_owner, lease_expires_at)
     VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, NULL, NULL, NULL)`,
  )
  for (const d of deliveries) insert.run(d.id, d.webhookId, d.url, d.payload, ms(d.createdAt), d.attempts, ms(d.nextAttemptAt), d.lastError ?? null)
}

/** Webhook subscriptions (table `webhooks`), their deliveries (`webhook_deliveries`), and the
 * revocation outbox (`revocation_outbox`, written by revocations.ts) that feeds them. */
export function createWebhookMethods(db: SqliteDatabase): WebhookStore {
  return {
    async putWebhook(webhook: Webhook): Promise<void> {
      await db.write(() => {
        db.sql(
          `INSERT INTO webhooks (id, url, events, actor, created_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET url = excluded.url, events = excluded.events, actor = excluded.actor, created_at = excluded.created_at`,
        ).run(webhook.id, webhook.url, json(webhook.events), webhook.actor, ms(webhook.createdAt))
      })
    },

    async listWebhooks(): Promise<Webhook[]> {
      return db.statement(() => db.sql('SELECT * FROM webhooks ORDER BY created_at, id').all() as WebhookRow[]).map(toWebhook)
    },

    async deleteWebhook(id: string): Promise<boolean> {
      return db.write(() => {
        const deleted = db.sql('DELETE FROM webhooks WHERE id = ?').run(id).changes === 1
        // Delivered and failed ones stay: what the relying party was sent, or could not be.
        if (deleted) db.sql("DELETE FROM webhook_deliveries WHERE webhook_id = ? AND status = 'pending'").run(id)
        return deleted
      })
    },

    async enqueueDeliveries(deliveries: readonly WebhookDelivery[]): Promise<void> {
      if (deliveries.length === 0) return
      await db.write(() => enqueue(db, deliveries))
    },

    async listUnannounced(limit: number): Promise<RevocationEvent[]> {
      return db.read(() => {
        const rows = db.sql('SELECT revocation_id, type FROM revocation_outbox ORDER BY rowid LIMIT ?').all(limit) as Array<{ revocation_id: string; type: RevocationEventType }>
        return rows.map((row) => ({ type: row.type, revocation: readRevocation(db, row.revocation_id)! }))
      })
    },

    async announce(revocationId: string, type: RevocationEventType, deliveries: readonly WebhookDelivery[]): Promise<boolean> {
      return db.write(() => {
        if (db.sql('DELETE FROM revocation_outbox WHERE revocation_id = ? AND type = ?').run(revocationId, type).changes === 0) return false
        enqueue(db, deliveries)
        return true
      })
    },

    async claimDeliveries(owner: string, now: Date, leaseMs: number, limit: number): Promise<WebhookDelivery[]> {
      return db.write(() => {
        const due = db.sql(
          `SELECT rowid FROM webhook_deliveries
           WHERE status = 'pending' AND next_attempt_at <= :now AND (lease_expires_at IS NULL OR lease_expires_at <= :now)
           ORDER BY next_attempt_at, created_at, id LIMIT :limit`,
        ).pluck().all({ now: ms(now), limit }) as number[]
        const lease = db.sql('UPDATE webhook_deliveries SET lease_owner = ?, lease_expires_at = ? WHERE rowid = ? RETURNING *')
        return due.map((rowid) => toDelivery(lease.get(owner, ms(now) + leaseMs, rowid) as DeliveryRow))
      })
    },

    async finishDelivery(owner: string, id: string, result: DeliveryResult): Promise<boolean> {
      return db.write(() => {
        // Only the lease holder. No expiry check (the port passes no time): once a lease expires
        // and another worker claims the delivery, the owner changes and this refuses.
        const held = "id = :id AND status = 'pending' AND lease_owner = :owner"
        const release = 'lease_owner = NULL, lease_expires_at = NULL'
        let changed: number
        switch (result.status) {
          case 'delivered':
            changed = db.sql(`UPDATE webhook_deliveries SET status = 'delivered', delivered_at = :at, ${release} WHERE ${held}`).run({ id, owner, at: ms(result.at) }).changes
            break
          case 'retry':
            changed = db.sql(`UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = :next, last_error = :error, ${release} WHERE ${held}`).run({ id, owner, next: ms(result.nextAttemptAt), error: result.error }).changes
            break
          case 'failed':
            changed = db.sql(`UPDATE webhook_deliveries SET status = 'failed', last_error = :error, ${release} WHERE ${held}`).run({ id, owner, error: result.error }).changes
            break
        }
        return changed === 1
      })
    },

    async listDeliveries(webhookId: string): Promise<WebhookDelivery[]> {
      return db.statement(() => db.sql('SELECT * FROM webhook_deliveries WHERE webhook_id = ? ORDER BY created_at, id').all(webhookId) as DeliveryRow[]).map(toDelivery)
    },
  }
}
