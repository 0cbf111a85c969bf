import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createWebhookService, type Logger, type Store, type Webhook, type WebhookDelivery } from '@lanyard/core'
import { FakeClock } from '@lanyard/core/testing'
import { createSqliteStore } from '@lanyard/store-sqlite'
import { createDeliveryWorker, type DeliverySettings } from './deliver.js'

const settings: DeliverySettings = { concurrency: 4, leaseMs: 30_000, timeoutMs: 1_000, maxAttempts: 100, giveUpAfterMs: 10_000, backoffBaseMs: 4_000, backoffMaxMs: 4_000, pollMs: 1_000 }
const payload = 'eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiJkMSJ9.c2lnbmF0dXJl'

describe('createDeliveryWorker', () => {
  let folder: string
  let store: Store
  let clock: FakeClock
  const lines: Array<{ fields: Record<string, unknown>; message?: string }> = []
  const log: Logger = { debug: (fields, message) => lines.push({ fields, message }), info: (fields, message) => lines.push({ fields, message }), warn: (fields, message) => lines.push({ fields, message }), error: (fields, message) => lines.push({ fields, message }) }
  const hook: Webhook = { id: 'w1', url: 'https://rp.example.com/caep?token=rp-secret', events: ['revocation.started'], actor: 'admin:test', createdAt: new Date('2030-01-01T00:00:00Z') }

  beforeEach(async () => {
    folder = mkdtempSync(join(tmpdir(), 'lanyard-deliver-'))
    clock = new FakeClock()
    store = await createSqliteStore({ path: join(folder, 'store.db'), clock })
    await store.putWebhook(hook)
    lines.length = 0
  })
  afterEach(async () => {
    await store.close()
    rmSync(folder, { recursive: true, force: true })
  })

  async function enqueue(): Promise<WebhookDelivery> {
    const delivery: WebhookDelivery = { id: 'd1', webhookId: hook.id, url: hook.url, payload, createdAt: clock.now(), status: 'pending', attempts: 0, nextAttemptAt: clock.now() }
    await store.enqueueDeliveries([delivery])
    return delivery
  }

  it('POSTs the SET as application/secevent+jwt, follows no redirect, and treats a 3xx as not delivered', async () => {
    const calls: Array<{ url: string; init: RequestInit }> = []
    const fetch = (async (url: string, init: RequestInit) => (calls.push({ url, init }), new Response(null, { status: 307, headers: { location: 'https://elsewhere.example/' } }))) as unknown as typeof globalThis.fetch
    await enqueue()
    await createDeliveryWorker({ webhooks: createWebhookService({ store, clock }), clock, log, owner: 'w', fetch, settings }).drain()
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({ url: hook.url, init: { method: 'POST', body: payload, redirect: 'manual', headers: { 'content-type': 'application/secevent+jwt' } } })
    expect((await store.listDeliveries(hook.id))[0]).toMatchObject({ status: 'pending', attempts: 1, lastError: 'receiver answered 307' })
  })

  it('gives up once the next attempt would fall past giveUpAfterMs, whatever maxAttempts allows', async () => {
    let posts = 0
    const fetch = (async () => (posts++, new Response('{"err":"<script>"}', { status: 503 }))) as unknown as typeof globalThis.fetch
    const created = await enqueue()
    const worker = createDeliveryWorker({ webhooks: createWebhookService({ store, clock }), clock, log, owner: 'w', fetch, settings })
    for (let i = 0; i < 10 && (await store.listDeliveries(hook.id))[0]?.status === 'pending'; i++) {
      await worker.drain()
      clock.advance(settings.backoffMaxMs)
    }
    const [delivery] = await store.listDeliveries(hook.id)
    // Backoff of 2-4 s within a 10 s budget: three to five POSTs, never the 100 maxAttempts allows.
    expect(delivery).toMatchObject({ status: 'failed', lastError: 'receiver answered 503' })
    expect(posts).toBeGreaterThanOrEqual(3)
    expect(posts).toBeLessThanOrEqual(5)
    expect(posts).toBe(delivery!.attempts + 1)
    expect(clock.now().getTime() - created.createdAt.getTime()).toBeLessThanOrEqual(settings.giveUpAfterMs + settings.backoffMaxMs)
    // Nothing the receiver or the admin wrote reaches the log: no body, no URL (it carries a token), no SET.
    const logged = JSON.stringify(lines)
    for (const secret of ['rp-secret', payload, '<script>']) expect(logged).not.toContain(secret)
    expect(lines.at(-1)).toMatchObject({ message: 'webhook delivery given up', fields: { delivery_id: 'd1', webhook_id: 'w1', result: 'failed' } })
  })

  it('sends nothing to a webhook deleted after its delivery was enqueued', async () => {
    let posts = 0
    const fetch = (async () => (posts++, new Response(null, { status: 202 }))) as unknown as typeof globalThis.fetch
    // The delete lands between the publisher's read of the webhooks and its enqueue.
    await store.deleteWebhook(hook.id)
    await enqueue()
    await createDeliveryWorker({ webhooks: createWebhookService({ store, clock }), clock, log, owner: 'w', fetch, settings }).drain()
    expect(posts).toBe(0)
    expect(await store.listDeliveries(hook.id)).toMatchObject([{ id: 'd1', status: 'failed', lastError: 'webhook deleted' }])
  })

  it('names a timeout and a refused connection without echoing the transport error', async () => {
    const errors = [new DOMException('The operation was aborted due to timeout', 'TimeoutError'), new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443 token=x'), { code: 'ECONNREFUSED' }) })]
    const fetch = (async () => {
      throw errors.shift()
    }) as unknown as typeof globalThis.fetch
    await enqueue()
    const worker = createDeliveryWorker({ webhooks: createWebhookService({ store, clock }), clock, log, owner: 'w', fetch, settings })
    await worker.drain()
    expect((await store.listDeliveries(hook.id))[0]).toMatchObject({ attempts: 1, lastError: 'no answer within 1000 ms' })
    clock.advance(settings.backoffMaxMs)
    await worker.drain()
    expect((await store.listDeliveries(hook.id))[0]).toMatchObject({ attempts: 2, lastError: 'connection failed (ECONNREFUSED)' })
  })
})
