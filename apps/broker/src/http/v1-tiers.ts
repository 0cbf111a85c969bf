import { Router } from 'express'
import { z } from 'zod'
import type { Lanyard, TierExplanation, TierStep } from '@lanyard/core'
import { parseInput } from './validate.js'
import { allow } from './access.js'

/** The `trust` member of GET /v1/agents/{handle}: the tier, why, what the next one needs, the incidents. */
export const trustJson = ({ record, next, caps }: TierExplanation) => ({
  tier: record.tier,
  since: record.since.toISOString(),
  reason: record.reason,
  counters: { grants: record.grants, approvals_granted: record.approvalsGranted, incidents: record.incidents },
  next_promotion: next === undefined ? null : { to: next.rule.to, needs: { days: next.rule.after.days, grants: next.rule.after.grants, incidents: next.rule.after.incidents, approvals_granted: next.rule.after.approvalsGranted ?? 0 }, missing: next.missing },
  incidents: { total: record.totalIncidents, ...(record.lastIncident === undefined ? {} : { last: { at: record.lastIncident.at.toISOString(), rule: record.lastIncident.rule, reason: record.lastIncident.reason } }) },
  caps: { max_ttl_seconds: caps?.maxTtlSeconds ?? null, exchange_rate: caps?.exchangeRate ?? null },
})

const stepJson = (step: TierStep) => ({
  tier: step.record.tier,
  ...(step.change === undefined ? {} : { change: { from: step.change.from, to: step.change.to, rule: step.change.rule, reason: step.change.reason } }),
  incidents: step.record.totalIncidents,
  suspended: step.suspend === true,
})

export const incidentBody = z.object({ reason: z.string().min(1).max(1000) }).strict()
export const tierBody = z.object({ tier: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]), reason: z.string().min(1).max(1000) }).strict()

/** /v1/agents/{handle}/incidents and /tier: evidence against an agent, and an admin's setting (the only way to tier 3). */
export function v1TierRoutes(lanyard: Lanyard): Router {
  const router = Router()
  const actor = (res: { locals: Record<string, unknown> }) => String(res.locals.actor)
  router.post('/agents/:handle/incidents', allow('responder'), async (req, res) => {
    const { reason } = parseInput(incidentBody, req.body, 'body')
    res.status(201).json(stepJson(await lanyard.recordIncident(actor(res), req.params.handle, { rule: 'reported', reason })))
  })
  router.post('/agents/:handle/tier', allow(), async (req, res) => {
    const { tier, reason } = parseInput(tierBody, req.body, 'body')
    res.json(stepJson(await lanyard.setTier(actor(res), req.params.handle, tier, reason)))
  })
  return router
}
