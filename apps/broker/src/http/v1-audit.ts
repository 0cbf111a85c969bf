import { Router } from 'express'
import { z } from 'zod'
import { parseHandle, type Lanyard } from '@lanyard/core'
import { checkpointJson } from '../webhooks/webhooks.js'
import { parseInput } from './validate.js'
import { auditJson } from './wire.js'
import { allow, readers } from './access.js'

export const checkpointsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).optional(),
    handle: z.string().min(1).max(512).optional(),
  })
  .strict()

export const adminAuditQuery = z
  .object({
    after: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).optional(),
    verify: z.enum(['0', '1', 'true', 'false']).optional(),
  })
  .strict()

/**
 * /v1/audit/checkpoints: the signed checkpoints of every audit chain head, latest first
 * (default 10). Each carries its JWS (`token`, typ lanyard-audit-checkpoint+jwt, verifiable
 * against /.well-known/jwks.json, claims `root` and `count`) and the heads its root covers.
 * `?handle=`: each also names that agent's `head` (null when the checkpoint predates it); the
 * heads list is its proof (the root is a flat hash over all of them, audit/checkpoint.ts).
 */
export function v1AuditRoutes(lanyard: Lanyard): Router {
  const router = Router()
  router.get('/audit/checkpoints', allow(...readers), async (req, res) => {
    const query = parseInput(checkpointsQuery, req.query, 'query')
    const handle = query.handle === undefined ? undefined : parseHandle(query.handle)
    const checkpoints = await lanyard.listCheckpoints(query.limit ?? 10)
    res.json({
      checkpoints: checkpoints.map((c) => ({ ...checkpointJson(c), ...(handle === undefined ? {} : { head: c.heads.find((h) => h.handle === handle) ?? null }) })),
    })
  })
  // The broker-wide admin chain (#18): who created and revoked admins, retired the bootstrap
  // token, signed in. `?verify=1` checks it as an agent's chain is checked.
  router.get('/audit/admin', allow(...readers), async (req, res) => {
    const query = parseInput(adminAuditQuery, req.query, 'query')
    const events = await lanyard.readAdminAudit({ ...(query.after === undefined ? {} : { afterSeq: query.after }), ...(query.limit === undefined ? {} : { limit: query.limit }) })
    const verdict = query.verify === '1' || query.verify === 'true' ? await lanyard.verifyAdminAudit() : undefined
    res.json({
      events: events.map(auditJson),
      ...(verdict === undefined ? {} : { verification: verdict.ok ? { ok: true, length: verdict.length, head: verdict.head } : { ok: false, broken_at: verdict.brokenAt, reason: verdict.reason } }),
    })
  })
  return router
}
