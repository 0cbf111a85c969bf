import { setTimeout as sleep } from 'node:timers/promises'
import { Router } from 'express'
import { z } from 'zod'
import { ApproverNotAllowed, RequestInvalid, type Approval, type ApprovalPolicy, type Lanyard } from '@lanyard/core'
import { parseInput } from './validate.js'
import { allow, callerOf, readers } from './access.js'

/** Wire (snake_case) -> domain: the `approval` member of a binding body. */
export function approvalPolicy(wire: { scopes: string[] | 'all'; approvers: string[]; ttl_seconds: number; below_tier?: number | undefined }): ApprovalPolicy {
  return { scopes: wire.scopes, approvers: wire.approvers, ttlSeconds: wire.ttl_seconds, ...(wire.below_tier === undefined ? {} : { belowTier: wire.below_tier }) }
}

const iso = (date: Date | undefined) => date?.toISOString()

export const approvalJson = (a: Approval) => ({
  id: a.id, handle: a.handle, system: a.system, binding_id: a.bindingId, scopes: a.scopes, status: a.status, approvers: a.approvers,
  ...(a.reason === undefined ? {} : { reason: a.reason }),
  requested_at: iso(a.requestedAt), expires_at: iso(a.expiresAt),
  ...(a.decidedBy === undefined ? {} : { decided_by: a.decidedBy, decided_at: iso(a.decidedAt) }),
  ...(a.note === undefined ? {} : { note: a.note }),
  ...(a.grantId === undefined ? {} : { grant_id: a.grantId, spent_at: iso(a.spentAt) }),
})

export const listQuery = z.object({ status: z.enum(['pending', 'approved', 'denied', 'spent', 'cancelled']).optional(), handle: z.string().optional() }).strict()
export const showQuery = z.object({ wait: z.coerce.number().int().min(0).max(300).optional() }).strict()
export const decisionBody = z.object({ approver: z.string().min(3).max(320).optional(), note: z.string().min(1).max(1000).optional() }).strict()

/** How often a long-poll looks at the store again. */
const longPollStepMs = 250

/**
 * /v1/approvals: what people decide. The approver is the signed-in person (#18): a named admin
 * decides as its subject, and naming anyone else is refused. Only the bootstrap token, which is
 * nobody, names its `approver`. Either way the approver must be one the request lists; the
 * audit event records the admin principal as actor and the approver in its details.
 */
export function v1ApprovalRoutes(lanyard: Lanyard): Router {
  const router = Router()
  const actor = (res: { locals: Record<string, unknown> }) => String(res.locals.actor)
  const decision = (body: unknown, res: { locals: Record<string, unknown> }) => {
    const { approver, note } = parseInput(decisionBody, body ?? {}, 'body')
    const caller = callerOf(res.locals)
    if (caller.via === 'bootstrap') {
      if (approver === undefined) throw new RequestInvalid(['body.approver: required with the bootstrap token (it is nobody)'])
      return { approver, ...(note === undefined ? {} : { note }) }
    }
    if (approver !== undefined && approver.toLowerCase() !== caller.subject) throw new ApproverNotAllowed(approver, { detail: `${caller.principal} tried to decide as another person` })
    return { approver: caller.subject, ...(note === undefined ? {} : { note }) }
  }
  const maxWaitSeconds = lanyard.settings.approvals?.maxWaitSeconds ?? 60

  router.get('/approvals', allow(...readers), async (req, res) => {
    const query = parseInput(listQuery, req.query, 'query')
    const approvals = await lanyard.listApprovals({ ...(query.status === undefined ? {} : { status: query.status }), ...(query.handle === undefined ? {} : { handle: query.handle }) })
    res.json({ approvals: approvals.map(approvalJson) })
  })
  // `?wait=N`: answers as soon as the approval is no longer pending, or after N seconds (capped).
  router.get('/approvals/:id', allow(...readers), async (req, res) => {
    const { wait } = parseInput(showQuery, req.query, 'query')
    let approval = await lanyard.getApproval(req.params.id)
    const deadline = Date.now() + Math.min(wait ?? 0, maxWaitSeconds) * 1000
    let gone = false
    req.on('close', () => (gone = true))
    while (approval.status === 'pending' && Date.now() < deadline && !gone) {
      await sleep(Math.min(longPollStepMs, deadline - Date.now()))
      approval = await lanyard.getApproval(req.params.id)
    }
    res.json(approvalJson(approval))
  })
  router.post('/approvals/:id/approve', allow('responder'), async (req, res) => {
    res.json(approvalJson(await lanyard.approve(actor(res), req.params.id, decision(req.body, res))))
  })
  router.post('/approvals/:id/deny', allow('responder'), async (req, res) => {
    res.json(approvalJson(await lanyard.deny(actor(res), req.params.id, decision(req.body, res))))
  })
  return router
}
