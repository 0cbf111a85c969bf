import { Router } from 'express'
import { z } from 'zod'
import type { AgentPresence, Lanyard, MisuseReport } from '@lanyard/core'
import { parseInput } from './validate.js'
import { allowOwner, ownerReach, readers } from './access.js'

/** The presence members of `POST /v1/agents` and `PUT /v1/agents/{handle}/presence`; `null` clears one. */
export const presenceFields = {
  presence: z.enum(['public', 'private']).optional(),
  display_name: z.string().nullable().optional(),
  description: z.string().nullable().optional(),
  escalation_contact: z.string().nullable().optional(),
}
export const presenceBody = z.object(presenceFields).strict()
export const reportsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }).strict()

/** The wire members to core's PresenceInput. */
export function presenceInput(body: z.infer<typeof presenceBody>) {
  return {
    ...(body.presence === undefined ? {} : { presence: body.presence }),
    ...(body.display_name === undefined ? {} : { displayName: body.display_name }),
    ...(body.description === undefined ? {} : { description: body.description }),
    ...(body.escalation_contact === undefined ? {} : { escalationContact: body.escalation_contact }),
  }
}

export function presenceJson(p: AgentPresence) {
  return {
    handle: p.handle,
    presence: p.presence,
    display_name: p.displayName ?? null,
    description: p.description ?? null,
    escalation_contact: p.escalationContact ?? null,
    updated_at: p.updatedAt.toISOString(),
  }
}

function reportJson(r: MisuseReport) {
  return {
    id: r.id,
    handle: r.handle,
    received_at: r.receivedAt.toISOString(),
    source_digest: r.sourceDigest,
    category: r.category,
    text: r.text,
    contact: r.contact ?? null,
    evidence: r.evidence ?? null,
  }
}

/** /v1/agents/{handle}/presence and /v1/agents/{handle}/reports: the admin side of presence. */
export function v1PresenceRoutes(lanyard: Lanyard): Router {
  const router = Router()
  const own = ownerReach(lanyard)
  router.get('/agents/:handle/presence', allowOwner(own.agent, ...readers), async (req, res) => {
    res.json(presenceJson(await lanyard.getPresence(req.params.handle)))
  })
  router.put('/agents/:handle/presence', allowOwner(own.agent), async (req, res) => {
    const body = parseInput(presenceBody, req.body, 'body')
    res.json(presenceJson(await lanyard.setPresence(String(res.locals.actor), req.params.handle, presenceInput(body))))
  })
  router.get('/agents/:handle/reports', allowOwner(own.agent, ...readers), async (req, res) => {
    const { limit } = parseInput(reportsQuery, req.query, 'query')
    const reports = await lanyard.listReports(req.params.handle, limit ?? 100)
    res.json({ reports: reports.map(reportJson) })
  })
  return router
}
