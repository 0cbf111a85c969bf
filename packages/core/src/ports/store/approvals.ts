import type { Approval, ApprovalDecision, ApprovalStatus } from '../../approvals/approval.js'
import type { AuditDraft } from '../../audit/event.js'
import type { Grant } from '../../exchange/grant.js'

export interface ApprovalFilter {
  readonly status?: ApprovalStatus
  readonly handle?: string
}

/**
 * Approval requests: asked by an exchange, decided by a person, spent by the grant they allow.
 * Every change appends its audit event to the agent's chain in the same write.
 * Conformance: `testing/store/approvals.ts`.
 */
export interface ApprovalStore {
  /**
   * Records `approval` (pending), or returns the agent's open request for the same binding and
   * exact scope set that is still pending at `approval.requestedAt` (`created: false`), so an
   * agent that retries does not flood its approvers. AgentNotFound if there is no such agent.
   */
  requestApproval(approval: Approval, audit: AuditDraft): Promise<{ approval: Approval; created: boolean }>
  getApproval(id: string): Promise<Approval | undefined>
  /** Oldest first. */
  listApprovals(filter?: ApprovalFilter): Promise<Approval[]>
  /**
   * Atomic: pending -> approved or denied (core's `decidedApproval`). ApprovalNotFound,
   * ApprovalNotPending when decided already (two approvers racing: the first decision stands),
   * ApprovalExpired past its expiry.
   */
  decideApproval(id: string, decision: ApprovalDecision, audit: AuditDraft): Promise<Approval>
  /**
   * The approved exchange's consistency point, atomic: spends the approval (core's
   * `spentApproval`: this agent, binding, exact scopes, generation, before expiry, once) and
   * records `grant` pending exactly as `beginGrant` does, in one write. Under any concurrency one
   * caller gets the grant; the others get ApprovalSpent and nothing is recorded for them.
   */
  beginApprovedGrant(grant: Grant, generation: number, approvalId: string, audit: AuditDraft): Promise<Approval>
  /**
   * Atomic: every pending or approved approval of the agent becomes `cancelled`, with one audit
   * event naming them when there were any. Returns how many.
   */
  cancelApprovals(handle: string, audit: AuditDraft): Promise<number>
}
