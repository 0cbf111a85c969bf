import { Router } from 'express'
import { z } from 'zod'
import { WebhookNotFound, type Webhook, type WebhookDelivery } from '@lanyard/core'
import { approvalEventKinds } from '../webhooks/approval-set.js'
import { webhookEventKinds } from '../webhooks/set.js'
import type { Webhooks } from '../webhooks/webhooks.js'
import { parseInput } from './validate.js'
import { allow, readers } from './access.js'

export const createBody = z
  .object({
    url: z.string().min(1),
    events: z.array(z.enum([...webhookEventKinds, ...approvalEventKinds])).min(1).max(webhookEventKinds.length + approvalEventKinds.length).optional(),
  })
  .strict()

const webhookJson = (w: Webhook) => ({ id: w.id, url: w.url, events: w.events, created_at: w.createdAt.toISOString() })

/**
 * `attempts` on the wire counts POSTs made. The store counts failed attempts that were
 * rescheduled (like revocation tasks), so a finished delivery made one more than it records.
 * The payload is not listed: it is a signed SET the receiver already has, not a status.
 */
const deliveryJson = (d: WebhookDelivery) => ({
  id: d.id, status: d.status, attempts: d.attempts + (d.status === 'pending' ? 0 : 1), created_at: d.createdAt.toISOString(),
  ...(d.status === 'pending' ? { next_attempt_at: d.nextAttemptAt.toISOString() } : {}),
  ...(d.deliveredAt === undefined ? {} : { delivered_at: d.deliveredAt.toISOString() }),
  ...(d.lastError === undefined ? {} : { last_error: d.lastError }),
})



/** /v1/webhooks: relying parties' subscriptions to revocation SETs, and what was delivered. */
export function v1WebhookRoutes(webhooks: Webhooks): Router {
  const router = Router()
  router.post('/webhooks', allow(), async (req, res) => {
    const body = parseInput(createBody, req.body, 'body')
    const webhook = await webhooks.subscribe(String(res.locals.actor), { url: body.url, ...(body.events === undefined ? {} : { events: body.events }) })
    res.status(201).location(`/v1/webhooks/${webhook.id}`).json(webhookJson(webhook))
  })
  router.get('/webhooks', allow(...readers), async (_req, res) => {
    res.json({ webhooks: (await webhooks.list()).map(webhookJson) })
  })
  router.delete('/webhooks/:id', allow(), async (req, res) => {
    if (await webhooks.remove(req.params.id)) res.status(204).end()
    else throw new WebhookNotFound(req.params.id)
  })
  router.get('/webhooks/:id/deliveries', allow(...readers), async (req, res) => {
    if ((await webhooks.get(req.params.id)) === undefined) throw new WebhookNotFound(req.params.id)
    res.json({ deliveries: (await webhooks.deliveries(req.params.id)).map(deliveryJson) })
  })
  return router
}
