import { backoffMs, createPassLoop, type Clock, type DeliveryResult, type Logger, type WebhookDelivery, type WebhookService } from '@lanyard/core'
import { setType } from './set.js'

export interface DeliverySettings {
  /** Deliveries POSTed at once by this replica. */
  readonly concurrency: number
  /** A delivery's lease; longer than `timeoutMs`, so a POST in flight keeps its lease. */
  readonly leaseMs: number
  /** One POST, connect to last byte of the answer. */
  readonly timeoutMs: number
  /** Attempts before a delivery is given up as `failed`. */
  readonly maxAttempts: number
  /** No attempt is made this long after the SET was enqueued: the whole retry budget. */
  readonly giveUpAfterMs: number
  readonly backoffBaseMs: number
  readonly backoffMaxMs: number
  readonly pollMs: number
}

export interface DeliveryWorker {
  /** Claims and POSTs due deliveries until none is left; returns how many it finished or rescheduled. */
  drain(): Promise<number>
  /** Starts polling every `pollMs`; `wake()` runs a pass at once (after an enqueue). */
  start(): void
  wake(): void
  stop(): Promise<void>
}

/** RFC 8935 §2.3 error codes a receiver answers with; anything else in its body is not read. */
const setErrorCode = /^[a-z_]{1,64}$/
/** Enough of an error body for `{"err":"invalid_key","description":...}`; the rest is dropped. */
const errorBodyBytes = 1024

async function receiverError(response: Response): Promise<string> {
  let code: string | undefined
  try {
    const text = (await response.text()).slice(0, errorBodyBytes)
    const err = (JSON.parse(text) as { err?: unknown }).err
    if (typeof err === 'string' && setErrorCode.test(err)) code = err
  } catch {
    // Not an RFC 8935 error body: the status says enough.
  }
  return `receiver answered ${response.status}${code === undefined ? '' : ` (${code})`}`
}

/** Why a POST did not reach the receiver, in words that hold no URL, header or body. */
function transportError(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`
  const code = (error as { cause?: { code?: unknown } }).cause?.code
  return `connection failed${typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? ` (${code})` : ''}`
}

/**
 * Pushes SETs to relying parties (RFC 8935): each delivery leased to one replica at a time,
 * POSTed as `application/secevent+jwt`, finished `delivered` on a 2xx (RFC 8935 §2.2 answers
 * 202), else retried with exponential backoff and full jitter until the budget (attempts or
 * age, whichever ends first) is spent, then `failed`. Survives restarts like the cascade: every
 * step is a store write, and a delivery whose holder died is leased again when its lease expires.
 * At least once: a receiver that acknowledged just before a crash may get the SET again and
 * dedupes on `jti`. Never logs the SET, the URL (it may carry a token) or the receiver's body.
 */
export function createDeliveryWorker(deps: { webhooks: WebhookService; clock: Clock; log: Logger; owner: string; fetch: typeof fetch; settings: DeliverySettings }): DeliveryWorker {
  const { webhooks, clock, log, owner, settings } = deps

  async function attempt(delivery: WebhookDelivery): Promise<DeliveryResult> {
    let response: Response
    try {
      response = await deps.fetch(delivery.url, {
        method: 'POST',
        headers: { 'content-type': `application/${setType}`, accept: 'application/json' },
        body: delivery.payload,
        // A redirect would carry the SET somewhere the admin did not register.
        redirect: 'manual',
        signal: AbortSignal.timeout(settings.timeoutMs),
      })
    } catch (error) {
      return retryOrFail(delivery, transportError(error, settings.timeoutMs))
    }
    if (response.status >= 200 && response.status < 300) {
      await response.body?.cancel()
      return { status: 'delivered', at: clock.now() }
    }
    return retryOrFail(delivery, await receiverError(response))
  }

  function retryOrFail(delivery: WebhookDelivery, error: string): DeliveryResult {
    // `attempts` counts the failed attempts already rescheduled; this one is the next.
    const attempts = delivery.attempts + 1
    const next = new Date(clock.now().getTime() + backoffMs(attempts, settings))
    if (attempts >= settings.maxAttempts || next.getTime() > delivery.createdAt.getTime() + settings.giveUpAfterMs) return { status: 'failed', error }
    return { status: 'retry', nextAttemptAt: next, error }
  }

  async function work(delivery: WebhookDelivery, subscribed: ReadonlySet<string>): Promise<void> {
    // A delete that raced the enqueue: the admin took this URL away, so nothing goes to it.
    const result: DeliveryResult = subscribed.has(delivery.webhookId) ? await attempt(delivery) : { status: 'failed', error: 'webhook deleted' }
    const finished = await webhooks.finishDelivery(owner, delivery.id, result)
    const fields = { delivery_id: delivery.id, webhook_id: delivery.webhookId, result: result.status, attempts: delivery.attempts + 1 }
    if (!finished) log.warn(fields, 'webhook delivery lease lost before it was finished; another replica owns it')
    else if (result.status === 'failed') log.warn({ ...fields, error: result.error }, 'webhook delivery given up')
    else if (result.status === 'retry') log.info({ ...fields, error: result.error }, 'webhook delivery will be retried')
    else log.debug(fields, 'webhook delivery acknowledged')
  }

  async function pass(): Promise<number> {
    let done = 0
    for (;;) {
      const deliveries = await webhooks.claimDeliveries(owner, clock.now(), settings.leaseMs, settings.concurrency)
      if (deliveries.length === 0) return done
      const subscribed = new Set((await webhooks.list()).map((hook) => hook.id))
      const results = await Promise.allSettled(deliveries.map((delivery) => work(delivery, subscribed)))
      for (const result of results) if (result.status === 'rejected') log.error({ err: String(result.reason) }, 'webhook delivery could not be recorded; its lease will expire and it will run again')
      done += deliveries.length
    }
  }

  const loop = createPassLoop(pass, log, 'webhook delivery')
  return { ...loop, start: () => loop.start(settings.pollMs) }
}
