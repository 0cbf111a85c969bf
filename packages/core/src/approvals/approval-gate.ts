import { v7 as timeOrderedUuid } from 'uuid'
import { ApprovalNotFound, ApprovalMismatch, ApprovalRequired } from '../errors.js'
import type { Agent } from '../agents/agent.js'
import type { AuditDraft } from '../audit/event.js'
import type { Binding } from '../bindings/binding.js'
import type { Grant } from '../exchange/grant.js'
import type { Clock } from '../ports/clock.js'
import type { ApprovalStore, GrantStore } from '../ports/store/index.js'
import { needsApproval, scopeSet, type Approval } from './approval.js'

/** `owner` in a policy's approvers is the agent's owner at the time of the request. */
export function resolveApprovers(approvers: readonly string[], owner: string): string[] {
  return [...new Set(approvers.map((a) => (a === 'owner' ? owner : a.toLowerCase())))]
}

export interface ApprovalGateDeps {
  readonly store: GrantStore & ApprovalStore
  readonly clock: Clock
  /** Told of each new request (not of a repeated one), after it is recorded: the webhook push. */
  readonly onRequested?: (approval: Approval) => void
}

export interface GateInput {
  readonly agent: Agent
  readonly generation: number
  readonly binding: Binding
  /** The narrowed scopes the grant would carry. */
  readonly scopes: readonly string[]
  readonly approvalId?: string
  /** The agent's own words for the approver, at most 500 characters (checked by the caller). */
  readonly reason?: string
}

/**
 * Begins the grant, through a person's approval when one is needed or offered:
 * (1) `approvalId` given: the approval is spent by the same write that records the grant
 *     (`beginApprovedGrant`); the grant and its audit event carry the approval and approver.
 * (2) none given, and the binding's policy asks for one: the request is recorded (or the
 *     agent's open one for the same exact set found) and ApprovalRequired thrown; nothing waits.
 * (3) otherwise: `beginGrant`, as without approvals.
 */
export async function beginGrantThroughApproval(deps: ApprovalGateDeps, input: GateInput, grant: Grant, audit: AuditDraft): Promise<Grant> {
  const { store, clock } = deps
  const { agent, binding, scopes } = input
  if (input.approvalId !== undefined) {
    const approval = await store.getApproval(input.approvalId)
    if (approval === undefined) throw new ApprovalNotFound(input.approvalId)
    if (approval.handle !== agent.handle) throw new ApprovalMismatch(approval.id, 'agent')
    const approved: Grant = { ...grant, approval: { id: approval.id, by: approval.decidedBy ?? '' } }
    await store.beginApprovedGrant(approved, input.generation, approval.id, { ...audit, details: { ...audit.details, approval_id: approval.id, approved_by: approval.decidedBy } })
    return approved
  }
  if (needsApproval(binding.approval, agent.tier, scopes)) {
    const policy = binding.approval!
    const now = clock.now()
    const request: Approval = {
      id: timeOrderedUuid(),
      handle: agent.handle,
      bindingId: binding.id,
      system: binding.system,
      scopes: scopeSet(scopes),
      generation: input.generation,
      approvers: resolveApprovers(policy.approvers, agent.owner),
      status: 'pending',
      requestedAt: now,
      expiresAt: new Date(now.getTime() + policy.ttlSeconds * 1000),
      ...(input.reason === undefined ? {} : { reason: input.reason }),
    }
    const { approval, created } = await store.requestApproval(request, {
      at: now, actor: `agent:${agent.handle}`, action: 'approval.requested', target: request.id, outcome: 'success',
      details: { system: binding.system, binding_id: binding.id, scopes: request.scopes, approvers: request.approvers, expires_at: request.expiresAt.toISOString(), ...(input.reason === undefined ? {} : { reason: input.reason }) },
    })
    if (created) deps.onRequested?.(approval)
    throw new ApprovalRequired(approval.id, approval.expiresAt)
  }
  await store.beginGrant(grant, input.generation, audit)
  return grant
}
