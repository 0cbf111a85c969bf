import { Router } from 'express'
import type { Lanyard, TrustRule } from '@lanyard/core'
import { allowOwner, ownerReach, readers } from './access.js'

/** The wire form of a trust rule: snake_case times, like every /v1 record. */
function trustRuleJson(rule: TrustRule): Record<string, unknown> {
  return {
    id: rule.id,
    handle: rule.handle,
    issuer: rule.issuer,
    audience: rule.audience,
    subject: rule.subject,
    claims: rule.claims,
    ...(rule.shape === undefined ? {} : { shape: rule.shape }),
    created_at: rule.createdAt.toISOString(),
  }
}

/**
 * /v1/agents/{handle}/trust: which platform tokens sign in as the agent. The body is checked
 * by core (`parseTrustRule`: closed fields, patterns, shapes, configured issuer), so the rule
 * is validated in one place whichever door it comes through.
 */
export function v1TrustRoutes(lanyard: Lanyard): Router {
  const router = Router()
  const own = ownerReach(lanyard)
  const actor = (res: { locals: Record<string, unknown> }) => String(res.locals.actor)
  router.post('/agents/:handle/trust', allowOwner(own.agent), async (req, res) => {
    const rule = await lanyard.addTrustRule(actor(res), req.params.handle, req.body)
    res.status(201).location(`/v1/agents/${encodeURIComponent(rule.handle)}/trust/${rule.id}`).json(trustRuleJson(rule))
  })
  router.get('/agents/:handle/trust', allowOwner(own.agent, ...readers), async (req, res) => {
    res.json({ rules: (await lanyard.listTrustRules(req.params.handle)).map(trustRuleJson) })
  })
  router.delete('/agents/:handle/trust/:id', allowOwner(own.agent, 'responder'), async (req, res) => {
    await lanyard.deleteTrustRule(actor(res), req.params.handle, req.params.id)
    res.status(204).end()
  })
  return router
}
