import { Router } from 'express'
import { z } from 'zod'
import type { DelegationRule, Lanyard } from '@lanyard/core'
import { parseInput } from './validate.js'
import { allowOwner, ownerReach, readers } from './access.js'

export const delegationBody = z
  .object({
    actor: z.string().min(1).max(128),
    systems: z.array(z.string().min(1).max(64)).min(1).max(50),
    scopes: z.array(z.string().min(1).max(512)).min(1).max(200),
    expiresAt: z.iso.datetime({ offset: true }),
  })
  .strict()

const ruleJson = (r: DelegationRule) => ({
  subject: r.subject, actor: r.actor, systems: r.systems, scopes: r.scopes, expires_at: r.expiresAt.toISOString(), created_by: r.createdBy, created_at: r.createdAt.toISOString(),
})

/** /v1/agents/{handle}/delegations (#17): who may act for the agent with an RFC 8693 actor_token. Admin. */
export function v1DelegationRoutes(lanyard: Lanyard): Router {
  const router = Router()
  const own = ownerReach(lanyard)
  router.post('/agents/:handle/delegations', allowOwner(own.agent), async (req, res) => {
    const body = parseInput(delegationBody, req.body, 'body')
    const rule = await lanyard.setDelegation(String(res.locals.actor), req.params.handle, { ...body, expiresAt: new Date(body.expiresAt) })
    res.status(201).json(ruleJson(rule))
  })
  router.get('/agents/:handle/delegations', allowOwner(own.agent, ...readers), async (req, res) => {
    res.json({ delegations: (await lanyard.listDelegations(req.params.handle)).map(ruleJson) })
  })
  return router
}
