import { randomUUID } from 'node:crypto'
import { RequestInvalid, type Clock, type Lanyard, type Logger, type RevocationEvent, type Store, type Webhook, type WebhookDelivery } from '@lanyard/core'
import { createDeliveryWorker, type DeliverySettings, type DeliveryWorker } from './deliver.js'
import { revocationEventKinds, revocationSets, signSet, type RevocationEventKind } from './set.js'

export interface NewWebhook {
  readonly url: string
  /** Defaults to both kinds. */
  readonly events?: readonly RevocationEventKind[]
}

/** Relying parties' subscriptions to revocation events, and the push of their SETs. */
export interface Webhooks {
  /** Registers a webhook. RequestInvalid for a URL that is not http(s), carries credentials, or is plain http off loopback outside a sandbox. */
  subscribe(actor: string, input: NewWebhook): Promise<Webhook>
  list(): Promise<Webhook[]>
  /** Undefined when there is no such webhook. */
  get(id: string): Promise<Webhook | undefined>
  /** False when there was none; its pending deliveries are dropped. */
  remove(id: string): Promise<boolean>
  deliveries(webhookId: string): Promise<WebhookDelivery[]>
  /** Enqueues one SET per matching webhook for `event`; resolves once they are stored (durable). */
  publish(event: RevocationEvent): Promise<number>
  readonly worker: DeliveryWorker
  /** Listens to the use cases' revocation events and starts the delivery worker. */
  start(): void
  /** Stops listening, waits for enqueues in flight, stops the worker. */
  stop(): Promise<void>
}

export interface WebhooksDeps {
  readonly lanyard: Lanyard
  readonly store: Store
  readonly clock: Clock
  readonly log: Logger
  /** Names this replica in delivery leases. */
  readonly owner: string
  readonly fetch: typeof fetch
  readonly settings: DeliverySettings
  /** `sandbox: true`: plain-http receivers are accepted anywhere, not only on loopback. */
  readonly sandbox: boolean
}

const loopbackHosts = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i
/** 2 KiB: far above any real receiver URL, far below what a store row should carry. */
const maxUrlLength = 2048

/**
 * (1) http or https only; (2) no userinfo: the URL is listed back to every admin and copied into
 * each delivery, so it must hold no password; (3) https, except on loopback (a receiver on the
 * same host) or in a sandbox deployment. A SET is signed, not encrypted: over plain http anyone
 * on the path reads which agents were revoked and why.
 */
export function checkWebhookUrl(raw: string, sandbox: boolean): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new RequestInvalid(['body.url: expected an absolute http(s) URL'])
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RequestInvalid(['body.url: expected an http(s) URL'])
  if (url.username !== '' || url.password !== '') throw new RequestInvalid(['body.url: must not carry credentials'])
  if (url.hash !== '') throw new RequestInvalid(['body.url: must not carry a fragment'])
  if (url.href.length > maxUrlLength) throw new RequestInvalid([`body.url: longer than ${maxUrlLength} characters`])
  if (url.protocol === 'http:' && !sandbox && !loopbackHosts.test(url.hostname)) throw new RequestInvalid(['body.url: plain http is refused except on loopback (use https, or `sandbox: true` for local stand-ins)'])
  return url.href
}

/**
 * Wires revocation events to webhooks: on each event, one signed SET per matching webhook is
 * written to the store in one enqueue (all or none), after which delivery is durable and retried
 * until acknowledged. The window before that write is not: a crash between the revocation's
 * commit and the enqueue loses the SETs of that event (the revocation itself is safe).
 */
export function createWebhooks(deps: WebhooksDeps): Webhooks {
  const { lanyard, store, clock, log } = deps
  const worker = createDeliveryWorker({ store, clock, log, owner: deps.owner, fetch: deps.fetch, settings: deps.settings })
  const inFlight = new Set<Promise<unknown>>()
  let unsubscribe: (() => void) | undefined

  async function publish(event: RevocationEvent): Promise<number> {
    const hooks = (await store.listWebhooks()).filter((hook) => hook.events.includes(event.type))
    const bodies = revocationSets(event, lanyard.settings.issuer)
    if (hooks.length === 0 || bodies.length === 0) return 0
    const now = clock.now()
    const deliveries: WebhookDelivery[] = []
    for (const hook of hooks) {
      for (const body of bodies) {
        // The delivery id is the SET's jti: what the receiver logs is what /v1 lists.
        const id = randomUUID()
        const payload = await signSet(lanyard.keys, { issuer: lanyard.settings.issuer, audience: hook.url, jti: id, txn: event.revocation.id, issuedAt: now }, body)
        deliveries.push({ id, webhookId: hook.id, url: hook.url, payload, createdAt: now, status: 'pending', attempts: 0, nextAttemptAt: now })
      }
    }
    await store.enqueueDeliveries(deliveries)
    worker.wake()
    return deliveries.length
  }

  function listener(event: RevocationEvent): void {
    const enqueued = publish(event)
      .catch((error: unknown) => log.error({ revocation_id: event.revocation.id, event: event.type, err: String(error) }, 'revocation SETs could not be enqueued; webhooks miss this event'))
      .finally(() => inFlight.delete(enqueued))
    inFlight.add(enqueued)
  }

  return {
    async subscribe(actor, input) {
      const events = [...new Set(input.events ?? revocationEventKinds)]
      if (events.length === 0) throw new RequestInvalid(['body.events: expected at least one event kind'])
      const webhook: Webhook = { id: randomUUID(), url: checkWebhookUrl(input.url, deps.sandbox), events, actor, createdAt: clock.now() }
      await store.putWebhook(webhook)
      return webhook
    },
    list: () => store.listWebhooks(),
    async get(id) {
      return (await store.listWebhooks()).find((hook) => hook.id === id)
    },
    remove: (id) => store.deleteWebhook(id),
    deliveries: (webhookId) => store.listDeliveries(webhookId),
    publish,
    worker,
    start() {
      unsubscribe ??= lanyard.onRevocation(listener)
      worker.start()
      worker.wake()
    },
    async stop() {
      unsubscribe?.()
      unsubscribe = undefined
      await Promise.allSettled([...inFlight])
      await worker.stop()
    },
  }
}
