import express, { Router, type Response } from 'express'
import { z } from 'zod'
import { RequestInvalid, type Lanyard } from '@lanyard/core'
import { parseInput } from './validate.js'

/** WebFinger link relations (RFC 7033 §4.4.4.1: a URI) for the two things a handle resolves to. */
export const agentCardRel = 'https://lanyard.dev/rel/agent-card'
export const agentStatusRel = 'https://lanyard.dev/rel/agent-status'

export interface PresenceRouteSettings {
  /** `Cache-Control: max-age` of status and card answers. */
  readonly statusMaxAgeSeconds: number
  /** Cap on a report's body; larger is refused with 413 before it is read. */
  readonly reportBodyLimitBytes: number
}

export const webfingerQuery = z
  .object({
    resource: z.string().min(1).max(512),
    rel: z.union([z.string(), z.array(z.string()).max(10)]).optional(),
  })
  .strict()

export const reportBody = z
  .object({
    category: z.enum(['impersonation', 'abuse', 'spam', 'security', 'other']),
    text: z.string().min(1).max(2000),
    contact: z.string().min(1).max(256).optional(),
    evidence: z.string().min(1).max(1024).optional(),
  })
  .strict()

/** RFC 7033 §5: WebFinger answers (and the documents it links to) are readable cross-origin. */
function publicHeaders(res: Response, maxAgeSeconds: number): void {
  res.setHeader('Access-Control-Allow-Origin', '*')
  res.setHeader('Cache-Control', `public, max-age=${maxAgeSeconds}`)
}

/**
 * The handle resolves: WebFinger, the signed agent card, live status, and where misuse is
 * reported. Unauthenticated by design; everything answers PresenceNotFound (one 404, one
 * body shape, the same store reads) for a handle that is unknown, malformed or private.
 */
export function presenceRoutes(lanyard: Lanyard, settings: PresenceRouteSettings): Router {
  const router = Router()
  const issuer = lanyard.settings.issuer
  const agentPath = (handle: string) => `${issuer}/agents/${encodeURIComponent(handle)}`

  router.get('/.well-known/webfinger', async (req, res) => {
    const query = parseInput(webfingerQuery, req.query, 'query')
    if (!query.resource.startsWith('acct:')) throw new RequestInvalid(['query.resource: expected an acct: URI, e.g. acct:deploy-bot@agents.acme.dev'])
    const handle = query.resource.slice('acct:'.length)
    res.setHeader('Access-Control-Allow-Origin', '*')
    const { agent } = await lanyard.resolvePublic(handle)
    const rels = query.rel === undefined ? undefined : new Set([query.rel].flat())
    const links = [
      { rel: agentCardRel, type: 'application/jwt', href: `${agentPath(agent.handle)}/card` },
      { rel: agentStatusRel, type: 'application/json', href: `${agentPath(agent.handle)}/status` },
    ].filter((link) => rels === undefined || rels.has(link.rel))
    publicHeaders(res, settings.statusMaxAgeSeconds)
    res.type('application/jrd+json').send(JSON.stringify({ subject: `acct:${agent.handle}`, aliases: [agentPath(agent.handle)], links }))
  })

  router.get('/agents/:handle/card', async (req, res) => {
    const card = await lanyard.agentCard(req.params.handle)
    publicHeaders(res, settings.statusMaxAgeSeconds)
    res.type('application/jwt').send(card)
  })

  router.get('/agents/:handle/status', async (req, res) => {
    const { agent } = await lanyard.resolvePublic(req.params.handle)
    publicHeaders(res, settings.statusMaxAgeSeconds)
    res.json({ status: agent.status, generation: agent.generation })
  })

  router.post('/agents/:handle/report', express.json({ limit: settings.reportBodyLimitBytes, strict: true }), async (req, res) => {
    const body = parseInput(reportBody, req.body, 'body')
    const report = await lanyard.reportMisuse({ handle: req.params.handle, source: req.socket.remoteAddress ?? 'unknown', ...body })
    res.setHeader('Cache-Control', 'no-store')
    res.status(202).json({ id: report.id, received_at: report.receivedAt.toISOString() })
  })
  return router
}
