import { Router } from 'express'
import { z } from 'zod'
import type { Lanyard } from '@lanyard/core'
import { parseInput } from './validate.js'
import { revocationJson } from './wire.js'
import { allowOwner, ownerReach } from './access.js'

export const removeBody = z.object({ reason: z.string().min(1).max(1000).optional() }).strict()

/**
 * /v1/agents/{handle}/bindings/{system}: the end of a binding. (Creating one and revoking one
 * are in v1-agents.ts, where they were first.)
 */
export function v1BindingRoutes(lanyard: Lanyard): Router {
  const router = Router()
  const own = ownerReach(lanyard)
  const actor = (res: { locals: Record<string, unknown> }) => String(res.locals.actor)

  // Revokes every open grant of the agent on the system and deletes the binding, in one write.
  router.delete('/agents/:handle/bindings/:system', allowOwner(own.agent, 'responder'), async (req, res) => {
    const { reason } = parseInput(removeBody, req.body ?? {}, 'body')
    const revocation = await lanyard.removeBinding(actor(res), req.params.handle, req.params.system, reason ?? 'binding removed')
    res.status(202).location(`/v1/revocations/${revocation.id}`).json({ revocation: revocationJson(revocation) })
  })
  return router
}
