import { randomUUID } from 'node:crypto'
import { RequestInvalid, createPassLoop, type AuditCheckpoint, type Clock, type Approval, type Lanyard, type Logger, type PassLoop, type RevocationEvent, type Webhook, type WebhookDelivery } from '@lanyard/core'
import { addressRefusal, classifyHost, type UpstreamPolicy } from '@lanyard/connector-sdk'
import { createDeliveryWorker, type DeliverySettings, type DeliveryWorker } from './deliver.js'
import { approvalSet, type approvalEventKinds } from './approval-set.js'
import { auditCheckpointEvent, revocationEventKinds, revocationSets, signSet, type WebhookEventKind } from './set.js'

export interface NewWebhook {
  readonly url: string
  /** Defaults to both revocation kinds; `approval.requested` and `audit.checkpoint` only when asked for. */
  readonly events?: readonly (WebhookEventKind | (typeof approvalEventKinds)[number])[]
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
  /** Enqueues one SET carrying `checkpoint` per webhook subscribed to `audit.checkpoint`; the number enqueued. */
  pushCheckpoint(checkpoint: AuditCheckpoint): Promise<number>
  /** Turns the store's revocation outbox into signed SETs, one per matching webhook. */
  readonly announcer: PassLoop
  readonly worker: DeliveryWorker
  /** Starts the announcer and the delivery worker, woken by the use cases' revocation events. */
  start(): void
  /** Stops listening and both loops, waiting for the passes under way. */
  stop(): Promise<void>
}

export interface WebhooksDeps {
  readonly lanyard: Lanyard
  readonly clock: Clock
  readonly log: Logger
  /** Names this replica in delivery leases. */
  readonly owner: string
  readonly fetch: typeof fetch
  readonly settings: DeliverySettings
  /** The one address rule's switches: `sandbox: true` (loopback, plain http), `webhooks.allowPrivateNetwork`. */
  readonly policy: UpstreamPolicy
}

/** 2 KiB: far above any real receiver URL, far below what a store row should carry. */
const maxUrlLength = 2048

/**
 * (1) http or https only; (2) no userinfo: the URL is listed back to every admin and copied into
 * each delivery, so it must hold no password; (3) its host passes the one address rule
 * (connector-sdk `upstreamUrl`): no link-local or metadata address ever, loopback only in a
 * sandbox, private ranges only with `webhooks.allowPrivateNetwork` (checked again at connect
 * time by the delivery fetch); (4) https, except in a sandbox deployment. A SET is signed, not
 * encrypted: over plain http anyone on the path reads which agents were revoked and why.
 */
export function checkWebhookUrl(raw: string, policy: UpstreamPolicy): string {
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
  const refusal = addressRefusal(classifyHost(url.hostname), policy)
  if (refusal !== undefined) throw new RequestInvalid([`body.url: ${refusal}`])
  if (url.protocol === 'http:' && !policy.allowLoopback) throw new RequestInvalid(['body.url: plain http is refused (use https, or `sandbox: true` for local stand-ins)'])
  return url.href
}

/** A checkpoint on the wire (GET /v1/audit/checkpoints, its SET, `lanyard audit --checkpoint`). */
export function checkpointJson(c: AuditCheckpoint): { id: string; at: string; root: string; count: number; token: string; heads: Array<{ handle: string; seq: number; hash: string }> } {
  return { id: c.id, at: c.at.toISOString(), root: c.root, count: c.heads.length, token: c.token, heads: c.heads.map(({ handle, seq, hash }) => ({ handle, seq, hash })) }
}

/** Outbox events read per store call; a pass reads until the outbox is empty. */
const announceBatch = 50

/**
 * Wires revocation events to webhooks through the store's outbox: the write that starts a
 * revocation (or finishes its job) also records the event, and the announcer turns each event
 * into one signed SET per matching webhook, enqueued in the write that takes the event out.
 * So a crash at any point loses no SET: an event not yet announced is announced by the next
 * pass of any replica (at start, on each revocation event, every `pollMs`). Replicas racing on
 * one event enqueue once: `announce` lets one of them through.
 */
export function createWebhooks(deps: WebhooksDeps): Webhooks {
  const { lanyard, clock, log } = deps
  const { webhooks } = lanyard
  const worker = createDeliveryWorker({ webhooks, clock, log, owner: deps.owner, fetch: deps.fetch, settings: deps.settings })
  let unsubscribe: (() => void) | undefined

  async function signedSets(event: RevocationEvent, hooks: readonly Webhook[]): Promise<WebhookDelivery[]> {
    const subscribed = hooks.filter((hook) => hook.events.includes(event.type))
    const bodies = revocationSets(event, lanyard.settings.issuer)
    const now = clock.now()
    const deliveries: WebhookDelivery[] = []
    for (const hook of subscribed) {
      for (const body of bodies) {
        // The delivery id is the SET's jti: what the receiver logs is what /v1 lists.
        const id = randomUUID()
        const payload = await signSet(lanyard.keys, { issuer: lanyard.settings.issuer, audience: hook.url, jti: id, txn: event.revocation.id, issuedAt: now }, body)
        deliveries.push({ id, webhookId: hook.id, url: hook.url, payload, createdAt: now, status: 'pending', attempts: 0, nextAttemptAt: now })
      }
    }
    return deliveries
  }

  async function announcePass(): Promise<number> {
    let enqueued = 0
    for (;;) {
      const events = await webhooks.unannounced(announceBatch)
      if (events.length === 0) return enqueued
      const hooks = await webhooks.list()
      for (const event of events) {
        const deliveries = await signedSets(event, hooks)
        if (await webhooks.announce(event, deliveries)) enqueued += deliveries.length
      }
      if (enqueued > 0) worker.wake()
      if (events.length < announceBatch) return enqueued
    }
  }
  const announcer = createPassLoop(announcePass, log, 'revocation announcement')

  /**
   * Pushes one approval request to the webhooks subscribed to `approval.requested`. Best effort,
   * unlike revocations: it is not in the store's outbox, so a crash between the request and this
   * enqueue loses the push (the request itself is recorded and listed by GET /v1/approvals).
   */
  async function pushApproval(approval: Approval): Promise<void> {
    const hooks = (await webhooks.list()).filter((hook) => hook.events.includes('approval.requested'))
    if (hooks.length === 0) return
    const now = clock.now()
    const body = approvalSet(approval, lanyard.settings.issuer)
    const deliveries: WebhookDelivery[] = []
    for (const hook of hooks) {
      const id = randomUUID()
      const payload = await signSet(lanyard.keys, { issuer: lanyard.settings.issuer, audience: hook.url, jti: id, txn: approval.id, issuedAt: now }, body)
      deliveries.push({ id, webhookId: hook.id, url: hook.url, payload, createdAt: now, status: 'pending', attempts: 0, nextAttemptAt: now })
    }
    await webhooks.enqueue(deliveries)
    worker.wake()
  }
  let unsubscribeApprovals: (() => void) | undefined

  return {
    async subscribe(actor, input) {
      const events = [...new Set(input.events ?? revocationEventKinds)]
      if (events.length === 0) throw new RequestInvalid(['body.events: expected at least one event kind'])
      return webhooks.subscribe(actor, checkWebhookUrl(input.url, deps.policy), events)
    },
    async pushCheckpoint(checkpoint) {
      // The whole checkpoint rides in the SET: the signed tree head and the heads it covers,
      // so the receiver holds a copy it can check any agent's chain against without the broker.
      const hooks = (await webhooks.list()).filter((hook) => hook.events.includes('audit.checkpoint'))
      const now = clock.now()
      const deliveries: WebhookDelivery[] = []
      for (const hook of hooks) {
        const id = randomUUID()
        const body = { sub_id: { format: 'opaque' as const, id: checkpoint.id }, events: { [auditCheckpointEvent]: checkpointJson(checkpoint) } }
        const payload = await signSet(lanyard.keys, { issuer: lanyard.settings.issuer, audience: hook.url, jti: id, txn: checkpoint.id, issuedAt: now }, body)
        deliveries.push({ id, webhookId: hook.id, url: hook.url, payload, createdAt: now, status: 'pending', attempts: 0, nextAttemptAt: now })
      }
      if (deliveries.length > 0) {
        await webhooks.enqueue(deliveries)
        worker.wake()
      }
      return deliveries.length
    },
    list: () => webhooks.list(),
    get: (id) => webhooks.get(id),
    remove: (id) => webhooks.remove(id),
    deliveries: (webhookId) => webhooks.deliveries(webhookId),
    announcer,
    worker,
    start() {
      unsubscribe ??= lanyard.onRevocation(() => announcer.wake())
      unsubscribeApprovals ??= lanyard.onApprovalRequested((approval) => {
        pushApproval(approval).catch((error: unknown) => log.warn({ approval_id: approval.id, err: String(error) }, 'approval request not pushed to webhooks'))
      })
      announcer.start(deps.settings.pollMs)
      announcer.wake()
      worker.start()
      worker.wake()
    },
    async stop() {
      unsubscribe?.()
      unsubscribe = undefined
      unsubscribeApprovals?.()
      unsubscribeApprovals = undefined
      await announcer.stop()
      await worker.stop()
    },
  }
}
