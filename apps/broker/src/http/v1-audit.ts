import { Router } from 'express'
import { z } from 'zod'
import { parseHandle, type Lanyard } from '@lanyard/core'
import { checkpointJson } from '../webhooks/webhooks.js'
import { parseInput } from './validate.js'

const checkpointsQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).optional(),
    handle: z.string().min(1).max(512).optional(),
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
  router.get('/audit/checkpoints', async (req, res) => {
    const query = parseInput(checkpointsQuery, req.query, 'query')
    const handle = query.handle === undefined ? undefined : parseHandle(query.handle)
    const checkpoints = await lanyard.listCheckpoints(query.limit ?? 10)
    res.json({
      checkpoints: checkpoints.map((c) => ({ ...checkpointJson(c), ...(handle === undefined ? {} : { head: c.heads.find((h) => h.handle === handle) ?? null }) })),
    })
  })
  return router
}
