import type { RevocationEvent, RevocationEventType, WebhookDelivery, WebhookStore } from '@lanyard/core'
import { decodeAll, decodeDelivery, decodeWebhook, encode } from './codec.js'
import { call } from './connection.js'
import type { RedisDatabase } from './database.js'
import { indexMember, parseIndexMember } from './keys.js'
import { readRevocation, revocationStatus } from './revocations.js'
import { Transaction } from './transaction.js'

/** An outbox entry whose revocation has not committed this long after it was written never will. */
const uncommittedOutboxMs = 5 * 60_000
const eventOrder: Record<RevocationEventType, number> = { 'revocation.started': 0, 'revocation.finished': 1 }

const byCreation = (d: { createdAt: Date; id: string }) => `${d.createdAt.toISOString()} ${d.id}`

function withoutLease(delivery: WebhookDelivery): WebhookDelivery {
  const { leaseOwner: _owner, leaseExpiresAt: _expires, ...rest } = delivery
  return rest
}

/**
 * Webhook subscriptions and their delivery queue, all under the `{<prefix>:webhooks}` tag (see
 * keys.ts): every change is one guarded commit and the due index (score: when a delivery can
 * next be claimed, `nextAttemptAt` or its lease expiry) is kept exact inside it.
 */
export function createWebhookMethods(db: RedisDatabase): WebhookStore {
  const { client, keys, clock, mutate } = db
  async function deliveriesById(ids: readonly string[]): Promise<(string | null)[]> {
    return ids.length === 0 ? [] : call(() => client.hmget(keys.deliveries, ...ids))
  }

  /** Adds `deliveries` to `txn`, each pending and due at its `nextAttemptAt`. */
  function enqueue(txn: Transaction, deliveries: readonly WebhookDelivery[]): Transaction {
    for (const delivery of deliveries) {
      txn.hset(keys.deliveries, delivery.id, encode({ ...withoutLease(delivery), status: 'pending' }))
      txn.zadd(keys.dueDeliveries, delivery.nextAttemptAt.getTime(), delivery.id)
      txn.sadd(keys.deliveriesOf(delivery.webhookId), delivery.id)
    }
    return txn
  }

  return {
    async putWebhook(webhook) {
      await call(() => client.hset(keys.webhooks, webhook.id, encode(webhook)))
    },

    async listWebhooks() {
      return decodeAll(await call(() => client.hvals(keys.webhooks)), decodeWebhook, byCreation)
    },

    async deleteWebhook(id) {
      return mutate(async () => {
        const [hook, ids] = await Promise.all([call(() => client.hget(keys.webhooks, id)), call(() => client.smembers(keys.deliveriesOf(id)))])
        if (hook === null) return { result: false }
        // Guarded on the subscription and on each pending delivery as read: a delivery claimed
        // or finished meanwhile makes this round read again.
        const txn = new Transaction().expect(keys.webhooks, hook, id).hdel(keys.webhooks, id)
        const raws = await deliveriesById(ids)
        for (const [i, raw] of raws.entries()) {
          if (decodeDelivery(raw)?.status !== 'pending') continue
          const deliveryId = ids[i]!
          txn.expect(keys.deliveries, raw, deliveryId).hdel(keys.deliveries, deliveryId).zrem(keys.dueDeliveries, deliveryId).srem(keys.deliveriesOf(id), deliveryId)
        }
        return { result: true, write: { txn } }
      })
    },

    async enqueueDeliveries(deliveries) {
      if (deliveries.length === 0) return
      await enqueue(new Transaction(), deliveries).commit(client, db.wait)
    },

    async listUnannounced(limit) {
      const entries = Object.entries(await call(() => client.hgetall(keys.outbox)))
        .map(([field, at]) => {
          const [revocationId = '', type = ''] = parseIndexMember(field)
          return { field, revocationId, type: type as RevocationEventType, at: Number(at) }
        })
        .filter((entry) => entry.type in eventOrder)
        // By revocation start (both entries carry it), then started before finished.
        .sort((a, b) => a.at - b.at || (a.revocationId < b.revocationId ? -1 : a.revocationId > b.revocationId ? 1 : eventOrder[a.type] - eventOrder[b.type]))
      const due: RevocationEvent[] = []
      for (const entry of entries) {
        if (due.length >= limit) break
        // The status first: a running job's `finished` entry is looked at on every pass.
        const status = await revocationStatus(db, entry.revocationId)
        if (status === undefined) {
          // Written before a startRevocation that failed, or has yet to commit: aged out.
          if (entry.at < clock.now().getTime() - uncommittedOutboxMs) await call(() => client.hdel(keys.outbox, entry.field))
          continue
        }
        if (entry.type === 'revocation.finished' && status !== 'done') continue
        const revocation = await readRevocation(db, entry.revocationId)
        if (revocation !== undefined) due.push({ type: entry.type, revocation })
      }
      return due
    },

    async announce(revocationId, type, deliveries) {
      const field = indexMember(revocationId, type)
      return mutate(async () => {
        const entry = await call(() => client.hget(keys.outbox, field))
        if (entry === null) return { result: false }
        return { result: true, write: { txn: enqueue(new Transaction().expect(keys.outbox, entry, field).hdel(keys.outbox, field), deliveries) } }
      })
    },

    async claimDeliveries(owner, now, leaseMs, limit) {
      return mutate(async () => {
        // The due index is exact, but two reads apart: a delivery it lists may have been leased
        // by another replica by the time its record is read. Looking at four times `limit`
        // leaves room to skip those; if every one seen was taken, read again.
        const ids = await call(() => client.zrangebyscore(keys.dueDeliveries, '-inf', now.getTime(), 'LIMIT', 0, limit * 4 + 16))
        const raws = await deliveriesById(ids)
        const txn = new Transaction()
        const leased: WebhookDelivery[] = []
        let taken = 0
        for (const [i, raw] of raws.entries()) {
          if (leased.length >= limit) break
          const delivery = decodeDelivery(raw)
          if (delivery?.status !== 'pending' || delivery.nextAttemptAt > now) continue
          if (delivery.leaseExpiresAt !== undefined && delivery.leaseExpiresAt > now) {
            taken += 1
            continue
          }
          const claimed: WebhookDelivery = { ...delivery, leaseOwner: owner, leaseExpiresAt: new Date(now.getTime() + leaseMs) }
          txn.expect(keys.deliveries, raw, ids[i]!).hset(keys.deliveries, claimed.id, encode(claimed)).zadd(keys.dueDeliveries, claimed.leaseExpiresAt!.getTime(), claimed.id)
          leased.push(claimed)
        }
        if (leased.length === 0) return { result: leased, again: taken > 0 }
        return { result: leased, write: { txn } }
      })
    },

    async finishDelivery(owner, id, result) {
      return mutate(async () => {
        const raw = await call(() => client.hget(keys.deliveries, id))
        const delivery = decodeDelivery(raw)
        if (delivery === undefined || delivery.status !== 'pending' || delivery.leaseOwner !== owner) return { result: false }
        const txn = new Transaction().expect(keys.deliveries, raw, id)
        const released = withoutLease(delivery)
        switch (result.status) {
          case 'delivered':
            txn.hset(keys.deliveries, id, encode({ ...released, status: 'delivered', deliveredAt: result.at })).zrem(keys.dueDeliveries, id)
            break
          case 'retry':
            txn.hset(keys.deliveries, id, encode({ ...released, attempts: delivery.attempts + 1, nextAttemptAt: result.nextAttemptAt, lastError: result.error }))
            txn.zadd(keys.dueDeliveries, result.nextAttemptAt.getTime(), id)
            break
          case 'failed':
            txn.hset(keys.deliveries, id, encode({ ...released, status: 'failed', lastError: result.error })).zrem(keys.dueDeliveries, id)
            break
        }
        return { result: true, write: { txn } }
      })
    },

    async listDeliveries(webhookId) {
      const ids = await call(() => client.smembers(keys.deliveriesOf(webhookId)))
      return decodeAll((await deliveriesById(ids)).filter((raw): raw is string => raw !== null), decodeDelivery, byCreation)
    },
  }
}
