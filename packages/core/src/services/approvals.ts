import { ApprovalNotFound, ApproverNotAllowed } from '../errors.js'
import type { Approval, ApprovalStatus } from '../approvals/approval.js'
import type { Clock } from '../ports/clock.js'
import type { Logger } from '../ports/connector.js'
import type { ApprovalStore } from '../ports/store/index.js'
import { auditDraft } from './context.js'

export interface ApprovalDecisionInput {
  /**
   * The person deciding, an email checked against the request's approvers. The admin API has
   * one bearer today, so its caller names the person; the audit event records both the admin
   * principal (`actor`) and this approver. TODO(#roles): the approver's own credential.
   */
  readonly approver: string
  readonly note?: string
}

/** Approval requests as people see them: list, read, approve, deny; and the push of new ones. */
export interface ApprovalService {
  listApprovals(filter?: { status?: ApprovalStatus; handle?: string }): Promise<Approval[]>
  /** ApprovalNotFound when there is none. */
  getApproval(id: string): Promise<Approval>
  /** ApproverNotAllowed, ApprovalNotPending (decided already: the first decision stands), ApprovalExpired. */
  approve(actor: string, id: string, input: ApprovalDecisionInput): Promise<Approval>
  deny(actor: string, id: string, input: ApprovalDecisionInput): Promise<Approval>
  /** Cancels the agent's pending and approved approvals (its revocation); how many. */
  cancelApprovals(actor: string, handle: string, reason: string): Promise<number>
  /** Listens for new approval requests (each once, after it is recorded). Returns the unsubscribe. */
  onApprovalRequested(listener: (approval: Approval) => void): () => void
  /** Tells listeners of a new request; the exchange calls it. */
  announceApproval(approval: Approval): void
}

export function createApprovalService(deps: { store: ApprovalStore; clock: Clock; log: Logger; onDecided?: (approval: Approval, actor: string) => Promise<void> }): ApprovalService {
  const { store, clock } = deps
  const listeners = new Set<(approval: Approval) => void>()

  async function decide(actor: string, id: string, status: 'approved' | 'denied', input: ApprovalDecisionInput): Promise<Approval> {
    const approval = await store.getApproval(id)
    if (approval === undefined) throw new ApprovalNotFound(id)
    const approver = input.approver.toLowerCase()
    if (!approval.approvers.includes(approver)) throw new ApproverNotAllowed(approver)
    const decided = await store.decideApproval(
      id,
      { status, by: approver, at: clock.now(), ...(input.note === undefined ? {} : { note: input.note }) },
      auditDraft(clock, actor, `approval.${status}`, id, { approver, system: approval.system, scopes: approval.scopes, ...(input.note === undefined ? {} : { note: input.note }) }),
    )
    await deps.onDecided?.(decided, actor)
    return decided
  }

  return {
    listApprovals: (filter) => store.listApprovals(filter),
    async getApproval(id) {
      const approval = await store.getApproval(id)
      if (approval === undefined) throw new ApprovalNotFound(id)
      return approval
    },
    approve: (actor, id, input) => decide(actor, id, 'approved', input),
    deny: (actor, id, input) => decide(actor, id, 'denied', input),
    cancelApprovals: (actor, handle, reason) => store.cancelApprovals(handle, auditDraft(clock, actor, 'approvals.cancelled', handle, { reason })),
    onApprovalRequested(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    announceApproval(approval) {
      for (const listener of listeners) {
        try {
          listener(approval)
        } catch (error) {
          deps.log.error({ err: String(error) }, 'approval listener failed')
        }
      }
    },
  }
}
