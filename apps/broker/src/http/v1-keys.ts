import { Router } from 'express'
import type { Lanyard } from '@lanyard/core'
import { agentJson } from './wire.js'
import { allowOwner, ownerReach } from './access.js'

/** /v1/agents/{handle}/keys/{kid}: removing an agent's key. (Adding one is in v1-agents.ts, where it was first.) */
export function v1KeyRoutes(lanyard: Lanyard): Router {
  const router = Router()
  const own = ownerReach(lanyard)
  const actor = (res: { locals: Record<string, unknown> }) => String(res.locals.actor)

  // The key goes and the generation moves, in one write: handle tokens obtained before stop exchanging.
  router.delete('/agents/:handle/keys/:kid', allowOwner(own.agent, 'responder'), async (req, res) => {
    const agent = await lanyard.removeKey(actor(res), req.params.handle, req.params.kid)
    res.json({ removed: req.params.kid, agent: agentJson(agent) })
  })
  return router
}
