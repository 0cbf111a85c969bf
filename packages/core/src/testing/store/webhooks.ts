import { beforeEach, describe, expect, it } from 'vitest'
import type { Store, Webhook, WebhookDelivery } from '../../ports/store/index.js'
import type { FakeClock } from '../fake-clock.js'
import { draft, newDelivery, newWebhook, uniqueId, yieldTurns } from '../store-fixtures.js'
import { revoked, leaseMs, ids, range, type StoreKit } from './kit.js'

/** Webhooks, deliveries and the revocation outbox: WebhookStore. */
export function webhookCases(kit: StoreKit): void {
  const { replicas, revokeWithGrants } = kit
  describe('webhooks', () => {
    let store: Store
    let clock: FakeClock
    beforeEach(() => {
      store = kit.store
      clock = kit.clock
    })

    /** A webhook put in the store with `count` deliveries enqueued to it, due now. */
    async function hookWithDeliveries(count: number): Promise<{ hook: Webhook; deliveries: WebhookDelivery[] }> {
      const hook = newWebhook(clock)
      await store.putWebhook(hook)
      const deliveries = range(count).map(() => newDelivery(clock, hook))
      await store.enqueueDeliveries(deliveries)
      return { hook, deliveries }
    }

    async function deliveryOf(hook: Webhook, id: string): Promise<WebhookDelivery | undefined> {
      return (await store.listDeliveries(hook.id)).find((d) => d.id === id)
    }

    it('putWebhook creates or replaces by id; listWebhooks reads every field back; deleteWebhook says whether there was one', async () => {
      const first = newWebhook(clock)
      clock.advance(1_000)
      const second = newWebhook(clock, { events: ['revocation.finished'] })
      await store.putWebhook(first)
      await store.putWebhook(second)
      const mine = async () => (await store.listWebhooks()).filter((w) => w.id === first.id || w.id === second.id).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      expect(await mine()).toEqual([first, second])

      const moved: Webhook = { ...first, url: `${first.url}/v2`, events: ['revocation.started'] }
      await store.putWebhook(moved)
      expect(await mine()).toEqual([moved, second])

      expect(await store.deleteWebhook(first.id)).toBe(true)
      expect(await mine()).toEqual([second])
      expect(await store.deleteWebhook(first.id)).toBe(false)
      expect(await store.deleteWebhook(uniqueId('webhook'))).toBe(false)
    })

    it('enqueueDeliveries stores every delivery pending and due, and a batch appears all at once to claims on several store objects', async () => {
      const stores = await replicas(4)
      const hook = newWebhook(clock)
      await store.putWebhook(hook)
      const batch = range(12).map(() => newDelivery(clock, hook))
      // Claims race the enqueue: each sees the whole batch or none of it, never a part.
      const claims = range(8).map(async (i) => {
        await yieldTurns(i * 3)
        return stores[i % stores.length]!.claimDeliveries(`worker-${i}`, clock.now(), leaseMs, 100)
      })
      const [, ...claimed] = await Promise.all([yieldTurns(5).then(() => stores[1]!.enqueueDeliveries(batch)), ...claims])
      for (const got of claimed) expect([0, batch.length]).toContain(got.length)

      const listed = await store.listDeliveries(hook.id)
      expect(ids(listed)).toEqual(ids(batch))
      for (const delivery of listed) {
        const { leaseOwner, leaseExpiresAt, ...rest } = delivery
        expect(rest).toEqual(batch.find((d) => d.id === delivery.id))
        expect(leaseOwner === undefined).toBe(leaseExpiresAt === undefined)
      }
      expect(await store.listDeliveries(uniqueId('webhook'))).toEqual([])
      await expect(store.enqueueDeliveries([])).resolves.toBeUndefined()
    })

    const announced = async (s: Store) => (await s.listUnannounced(100)).map((event) => `${event.type} ${event.revocation.id} ${event.revocation.status}`)

    it('a revocation is in the outbox as started from its first write, and as finished from the write that ends its job', async () => {
      const { grants, revocationId } = await revokeWithGrants(2)
      expect(await announced(store)).toEqual([`revocation.started ${revocationId} running`])
      const [event] = await store.listUnannounced(100)
      expect(event!.revocation).toEqual(await store.getRevocation(revocationId))

      await store.claimTasks('worker-a', clock.now(), leaseMs, 10)
      await store.completeTask('worker-a', revocationId, grants[0]!.id, revoked, clock.now(), draft(clock, 'grant.revoked', grants[0]!.id))
      expect(await announced(store)).toEqual([`revocation.started ${revocationId} running`])
      await store.completeTask('worker-a', revocationId, grants[1]!.id, revoked, clock.now(), draft(clock, 'grant.revoked', grants[1]!.id))
      expect(await announced(store)).toEqual([`revocation.started ${revocationId} done`, `revocation.finished ${revocationId} done`])

      // Nothing to cut: done in its first write, so both at once. Of one revocation, started
      // always comes before finished; across revocations the order is the store's.
      clock.advance(1_000)
      const { revocationId: empty } = await revokeWithGrants(0)
      const all = await announced(store)
      expect(all).toHaveLength(4)
      expect(all.filter((line) => line.includes(empty))).toEqual([`revocation.started ${empty} done`, `revocation.finished ${empty} done`])
      expect(all.filter((line) => line.includes(revocationId))).toEqual([`revocation.started ${revocationId} done`, `revocation.finished ${revocationId} done`])
      expect(await store.listUnannounced(1)).toHaveLength(1)
    })

    it('announce takes the event out and enqueues its deliveries in one write, once: a racing second announce writes nothing', async () => {
      const { revocationId } = await revokeWithGrants(0)
      const hook = newWebhook(clock)
      await store.putWebhook(hook)
      const stores = await replicas(4)
      const batches = stores.map(() => range(2).map(() => newDelivery(clock, hook)))
      const won = await Promise.all(stores.map((s, i) => s.announce(revocationId, 'revocation.started', batches[i]!)))
      expect(won.filter(Boolean)).toHaveLength(1)
      expect(ids(await store.listDeliveries(hook.id))).toEqual(ids(batches[won.indexOf(true)]!))
      expect(await announced(store)).toEqual([`revocation.finished ${revocationId} done`])

      // An event with no subscriber is announced with no deliveries; absent events answer false.
      expect(await store.announce(revocationId, 'revocation.finished', [])).toBe(true)
      expect(await announced(store)).toEqual([])
      expect(await store.announce(revocationId, 'revocation.finished', [newDelivery(clock, hook)])).toBe(false)
      expect(await store.announce(uniqueId('revocation'), 'revocation.started', [])).toBe(false)
      expect(await store.listDeliveries(hook.id)).toHaveLength(2)
    })

    it('claimDeliveries leases each due delivery to one owner at a time, again once the lease expired, and nothing not yet due', async () => {
      const { hook, deliveries } = await hookWithDeliveries(3)
      // Due after the first leases expire, before the second ones do.
      const later = newDelivery(clock, hook, { nextAttemptAt: new Date(clock.now().getTime() + leaseMs + leaseMs / 2) })
      await store.enqueueDeliveries([later])
      const t0 = clock.now()
      const first = await store.claimDeliveries('worker-a', t0, leaseMs, 2)
      expect(first).toHaveLength(2)
      for (const d of first) expect(d).toMatchObject({ webhookId: hook.id, status: 'pending', attempts: 0, leaseOwner: 'worker-a', leaseExpiresAt: new Date(t0.getTime() + leaseMs) })
      const second = await store.claimDeliveries('worker-b', t0, leaseMs, 10)
      expect(ids([...first, ...second])).toEqual(ids(deliveries))
      expect(await store.claimDeliveries('worker-c', new Date(t0.getTime() + leaseMs - 1), leaseMs, 10)).toEqual([])
      expect(await deliveryOf(hook, second[0]!.id)).toMatchObject({ leaseOwner: 'worker-b' })

      const expired = new Date(t0.getTime() + leaseMs)
      const again = await store.claimDeliveries('worker-c', expired, leaseMs, 10)
      expect(ids(again)).toEqual(ids(deliveries))
      for (const d of again) expect(d).toMatchObject({ leaseOwner: 'worker-c', leaseExpiresAt: new Date(expired.getTime() + leaseMs) })
      expect(await store.claimDeliveries('worker-d', later.nextAttemptAt, leaseMs, 10)).toMatchObject([{ id: later.id, leaseOwner: 'worker-d' }])
    })

    it('claims on several store objects never lease one delivery twice', async () => {
      const stores = await replicas(4)
      const { hook, deliveries } = await hookWithDeliveries(8)
      const claimed = await Promise.all(stores.map((s, i) => s.claimDeliveries(`worker-${i}`, clock.now(), leaseMs, 3)))
      // "Up to limit": a claim that lost a race may come back short, never with another's lease.
      const all = claimed.flat()
      expect(new Set(ids(all)).size).toBe(all.length)
      expect(all.length).toBeGreaterThan(0)
      const listed = new Map((await store.listDeliveries(hook.id)).map((d) => [d.id, d]))
      claimed.forEach((got, i) => {
        for (const d of got) expect(listed.get(d.id)?.leaseOwner, d.id).toBe(`worker-${i}`)
      })
      expect(ids(all).every((id) => listed.has(id))).toBe(true)
      expect(listed.size).toBe(deliveries.length)
    })

    it('finishDelivery applies only for the lease holder; delivered and failed ones are never claimed again', async () => {
      const { hook, deliveries } = await hookWithDeliveries(3)
      const [toDeliver, toFail, unclaimed] = deliveries as [WebhookDelivery, WebhookDelivery, WebhookDelivery]
      const t0 = clock.now()
      await store.claimDeliveries('worker-a', t0, leaseMs, 2)
      const delivered = { status: 'delivered', at: clock.advance(500) } as const

      // (1) Not the holder; (2) not leased at all; (3) no such delivery.
      expect(await store.finishDelivery('worker-b', toDeliver.id, delivered)).toBe(false)
      expect(await store.finishDelivery('worker-a', unclaimed.id, delivered)).toBe(false)
      expect(await store.finishDelivery('worker-a', uniqueId('delivery'), delivered)).toBe(false)
      expect(await deliveryOf(hook, toDeliver.id)).toMatchObject({ status: 'pending', leaseOwner: 'worker-a' })

      // (4) The holder: delivered keeps its attempt count (only a retry counts one) and drops the lease.
      expect(await store.finishDelivery('worker-a', toDeliver.id, delivered)).toBe(true)
      const done = await deliveryOf(hook, toDeliver.id)
      expect(done).toMatchObject({ status: 'delivered', deliveredAt: delivered.at, attempts: 0 })
      expect(done?.leaseOwner).toBeUndefined()
      expect(await store.finishDelivery('worker-a', toFail.id, { status: 'failed', error: 'receiver answered 410' })).toBe(true)
      const failed = await deliveryOf(hook, toFail.id)
      expect(failed).toMatchObject({ status: 'failed', lastError: 'receiver answered 410', attempts: 0 })
      expect(failed?.deliveredAt).toBeUndefined()
      expect(failed?.leaseOwner).toBeUndefined()

      // (5) Finished is final: not finished twice, not claimed again, even long after.
      expect(await store.finishDelivery('worker-a', toDeliver.id, { status: 'failed', error: 'late' })).toBe(false)
      expect(await deliveryOf(hook, toDeliver.id)).toEqual(done)
      const much = new Date(t0.getTime() + 100 * leaseMs)
      expect(ids(await store.claimDeliveries('worker-c', much, leaseMs, 10))).toEqual([unclaimed.id])
      expect(await store.claimDeliveries('worker-d', new Date(much.getTime() + leaseMs), leaseMs, 10)).toMatchObject([{ id: unclaimed.id }])
    })

    it('a retry counts an attempt, records the error, releases the lease and is not claimable before its next attempt', async () => {
      const { hook, deliveries } = await hookWithDeliveries(1)
      const id = deliveries[0]!.id
      const t0 = clock.now()
      await store.claimDeliveries('worker-a', t0, leaseMs, 10)
      const next = new Date(t0.getTime() + 60_000)
      expect(await store.finishDelivery('worker-b', id, { status: 'retry', nextAttemptAt: t0, error: 'not mine' })).toBe(false)
      expect(await store.finishDelivery('worker-a', id, { status: 'retry', nextAttemptAt: next, error: 'receiver answered 500' })).toBe(true)
      const retried = await deliveryOf(hook, id)
      expect(retried).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: next, lastError: 'receiver answered 500' })
      expect(retried?.leaseOwner).toBeUndefined()
      // Released: the old holder cannot finish it any more.
      expect(await store.finishDelivery('worker-a', id, { status: 'delivered', at: t0 })).toBe(false)

      expect(await store.claimDeliveries('worker-b', new Date(next.getTime() - 1), leaseMs, 10)).toEqual([])
      expect(await store.claimDeliveries('worker-b', next, leaseMs, 10)).toMatchObject([{ id, attempts: 1, lastError: 'receiver answered 500', leaseOwner: 'worker-b' }])
      const again = new Date(next.getTime() + 1_000)
      expect(await store.finishDelivery('worker-b', id, { status: 'retry', nextAttemptAt: again, error: 'timed out' })).toBe(true)
      expect(await deliveryOf(hook, id)).toMatchObject({ attempts: 2, nextAttemptAt: again, lastError: 'timed out' })
      expect(await store.claimDeliveries('worker-c', again, leaseMs, 10)).toMatchObject([{ id, attempts: 2 }])
      expect(await store.finishDelivery('worker-c', id, { status: 'delivered', at: again })).toBe(true)
      expect(await deliveryOf(hook, id)).toMatchObject({ status: 'delivered', attempts: 2, deliveredAt: again })
    })

    it('deleteWebhook drops its pending deliveries, leased or not, and leaves finished ones and other webhooks alone', async () => {
      const { hook, deliveries } = await hookWithDeliveries(3)
      const other = await hookWithDeliveries(1)
      const [sent, leased] = deliveries as [WebhookDelivery, WebhookDelivery, WebhookDelivery]
      await store.claimDeliveries('worker-a', clock.now(), leaseMs, 10)
      await store.finishDelivery('worker-a', sent.id, { status: 'delivered', at: clock.now() })
      // Releases the other delivery of `other`, so that only it remains to claim afterwards.
      await store.finishDelivery('worker-a', other.deliveries[0]!.id, { status: 'retry', nextAttemptAt: clock.now(), error: 'later' })

      expect(await store.deleteWebhook(hook.id)).toBe(true)
      const left = await store.listDeliveries(hook.id)
      expect(left.filter((d) => d.status === 'pending')).toEqual([])
      expect(left.map((d) => d.id).filter((id) => id !== sent.id)).toEqual([])
      expect(await store.finishDelivery('worker-a', leased.id, { status: 'delivered', at: clock.now() })).toBe(false)
      const later = new Date(clock.now().getTime() + 10 * leaseMs)
      expect(ids(await store.claimDeliveries('worker-b', later, leaseMs, 10))).toEqual([other.deliveries[0]!.id])
      expect(ids(await store.listDeliveries(other.hook.id))).toEqual([other.deliveries[0]!.id])
    })
  })
}
