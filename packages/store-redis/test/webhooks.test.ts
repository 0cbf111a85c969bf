import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Store, Webhook, WebhookDelivery } from '@lanyard/core'
import { FakeClock } from '@lanyard/core/testing'
import { openRedisStore } from '../src/redis-store.js'
import { deleteKeys, runPrefix, sharedRedisUrl } from './redis-servers.js'

// The store kit does not cover webhooks yet; these cases hold the Redis store to the port's
// doc comments until it does.
const prefix = runPrefix()
let cases = 0
let clock: FakeClock
let stores: Store[]
let store: Store
let keyPrefix: string

beforeEach(async () => {
  clock = new FakeClock()
  keyPrefix = `${prefix}-${++cases}`
  store = await openRedisStore({ url: sharedRedisUrl, keyPrefix })
  stores = [store]
})
afterEach(async () => {
  await Promise.allSettled(stores.map((s) => s.close()))
})
afterAll(async () => {
  await deleteKeys([sharedRedisUrl], prefix)
})

function webhook(id: string): Webhook {
  return { id, url: `https://rp.example/${id}`, events: ['revocation.started'], actor: 'admin:test', createdAt: clock.now() }
}

let deliveries = 0
function delivery(webhookId: string, overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
  deliveries += 1
  return { id: `d-${deliveries}`, webhookId, url: `https://rp.example/${webhookId}`, payload: `eyJ.set.${deliveries}`, createdAt: clock.now(), status: 'pending', attempts: 0, nextAttemptAt: clock.now(), ...overrides }
}

const ids = (list: readonly { id: string }[]) => list.map((d) => d.id).sort()

describe('webhooks on Redis', () => {
  it('putWebhook creates or replaces by id; deleteWebhook says whether there was one', async () => {
    await store.putWebhook(webhook('a'))
    await store.putWebhook(webhook('b'))
    const replaced = { ...webhook('a'), url: 'https://rp.example/new' }
    await store.putWebhook(replaced)
    expect(await store.listWebhooks()).toEqual([replaced, webhook('b')])
    expect(await store.deleteWebhook('a')).toBe(true)
    expect(await store.deleteWebhook('a')).toBe(false)
    expect(await store.listWebhooks()).toEqual([webhook('b')])
  })

  it('enqueued deliveries start pending and are leased one owner at a time, due ones only', async () => {
    await store.putWebhook(webhook('a'))
    const now = clock.now()
    const due = [delivery('a'), delivery('a', { status: 'delivered' })]
    const later = delivery('a', { nextAttemptAt: new Date(now.getTime() + 60_000) })
    await store.enqueueDeliveries([...due, later])
    expect((await store.listDeliveries('a')).map((d) => d.status)).toEqual(['pending', 'pending', 'pending'])

    const first = await store.claimDeliveries('worker-a', now, 30_000, 10)
    expect(ids(first)).toEqual(ids(due))
    for (const d of first) expect(d).toMatchObject({ leaseOwner: 'worker-a', leaseExpiresAt: new Date(now.getTime() + 30_000) })
    expect(await store.claimDeliveries('worker-b', new Date(now.getTime() + 29_999), 30_000, 10)).toEqual([])
    expect(ids(await store.claimDeliveries('worker-b', new Date(now.getTime() + 60_000), 30_000, 10))).toEqual(ids([...due, later]))
  })

  it('claims on several store objects never lease one delivery twice', async () => {
    for (let i = 0; i < 3; i++) stores.push(await openRedisStore({ url: sharedRedisUrl, keyPrefix }))
    const queued = Array.from({ length: 10 }, () => delivery('a'))
    await store.enqueueDeliveries(queued)
    const claimed = await Promise.all(stores.map((s, i) => s.claimDeliveries(`worker-${i}`, clock.now(), 30_000, 4)))
    expect(ids(claimed.flat())).toEqual(ids(queued))
  })

  it('finishDelivery works only for the lease holder: delivered and failed leave the queue, retry counts an attempt and reschedules', async () => {
    const [ok, bad, again] = [delivery('a'), delivery('a'), delivery('a')]
    await store.enqueueDeliveries([ok, bad, again])
    const t0 = clock.now()
    await store.claimDeliveries('worker-a', t0, 30_000, 10)
    expect(await store.finishDelivery('worker-b', ok.id, { status: 'delivered', at: t0 })).toBe(false)
    expect(await store.finishDelivery('worker-a', ok.id, { status: 'delivered', at: t0 })).toBe(true)
    expect(await store.finishDelivery('worker-a', ok.id, { status: 'delivered', at: t0 })).toBe(false)
    expect(await store.finishDelivery('worker-a', bad.id, { status: 'failed', error: 'HTTP 410' })).toBe(true)
    const next = new Date(t0.getTime() + 5_000)
    expect(await store.finishDelivery('worker-a', again.id, { status: 'retry', nextAttemptAt: next, error: 'HTTP 503' })).toBe(true)

    const byId = new Map((await store.listDeliveries('a')).map((d) => [d.id, d]))
    expect(byId.get(ok.id)).toEqual({ ...ok, status: 'delivered', deliveredAt: t0 })
    expect(byId.get(bad.id)).toEqual({ ...bad, status: 'failed', lastError: 'HTTP 410' })
    expect(byId.get(again.id)).toEqual({ ...again, attempts: 1, nextAttemptAt: next, lastError: 'HTTP 503' })
    expect(await store.claimDeliveries('worker-b', new Date(next.getTime() - 1), 30_000, 10)).toEqual([])
    expect(await store.claimDeliveries('worker-b', next, 30_000, 10)).toMatchObject([{ id: again.id, attempts: 1, leaseOwner: 'worker-b' }])
  })

  it('deleting a webhook drops its pending deliveries and keeps the finished ones', async () => {
    await store.putWebhook(webhook('a'))
    await store.putWebhook(webhook('b'))
    const [done, pending, leased, other] = [delivery('a'), delivery('a'), delivery('a'), delivery('b')]
    await store.enqueueDeliveries([done, leased])
    await store.claimDeliveries('worker-a', clock.now(), 30_000, 10)
    await store.finishDelivery('worker-a', done.id, { status: 'delivered', at: clock.now() })
    await store.enqueueDeliveries([pending, other])

    expect(await store.deleteWebhook('a')).toBe(true)
    expect(ids(await store.listDeliveries('a'))).toEqual([done.id])
    expect(await store.finishDelivery('worker-a', leased.id, { status: 'delivered', at: clock.now() })).toBe(false)
    expect(ids(await store.claimDeliveries('worker-b', clock.now(), 30_000, 10))).toEqual([other.id])
  })
})
