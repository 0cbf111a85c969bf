/** The error catalogue: approvals (a person's yes before a grant). */
import { LanyardError, type LanyardErrorOptions } from './lanyard-error.js'

/** The exchange needs a person's approval first; the request is recorded as `approvalId`. */
export class ApprovalRequired extends LanyardError {
  override code = 'ERR_APPROVAL_REQUIRED' as const
  readonly approvalId: string
  readonly expiresAt: Date
  constructor(approvalId: string, expiresAt: Date, options?: LanyardErrorOptions) {
    super(`this exchange needs a person's approval; wait for approval "${approvalId}", then exchange again with approval_id`, options)
    this.approvalId = approvalId
    this.expiresAt = expiresAt
  }
}

export class ApprovalNotFound extends LanyardError {
  override code = 'ERR_APPROVAL_NOT_FOUND' as const
  constructor(approvalId: string, options?: LanyardErrorOptions) {
    super(`approval "${approvalId}" does not exist`, options)
  }
}

/** What the approval was not for: another agent, another binding, another scope set. */
export type ApprovalMismatchReason = 'agent' | 'binding' | 'scopes'

export class ApprovalMismatch extends LanyardError {
  override code = 'ERR_APPROVAL_MISMATCH' as const
  readonly reason: ApprovalMismatchReason
  constructor(approvalId: string, reason: ApprovalMismatchReason, options?: LanyardErrorOptions) {
    super(`approval "${approvalId}" was given for another ${reason === 'scopes' ? 'scope set' : reason}`, options)
    this.reason = reason
  }
}

export class ApprovalSpent extends LanyardError {
  override code = 'ERR_APPROVAL_SPENT' as const
  constructor(approvalId: string, options?: LanyardErrorOptions) {
    super(`approval "${approvalId}" was used already; an approval mints one grant`, options)
  }
}

export class ApprovalExpired extends LanyardError {
  override code = 'ERR_APPROVAL_EXPIRED' as const
  constructor(approvalId: string, options?: LanyardErrorOptions) {
    super(`approval "${approvalId}" has expired`, options)
  }
}

export class ApprovalDenied extends LanyardError {
  override code = 'ERR_APPROVAL_DENIED' as const
  constructor(approvalId: string, options?: LanyardErrorOptions) {
    super(`approval "${approvalId}" was denied`, options)
  }
}

/** The approval no longer stands: the agent was revoked, or changed (suspended, resumed) since it asked. */
export class ApprovalCancelled extends LanyardError {
  override code = 'ERR_APPROVAL_CANCELLED' as const
  readonly reason: string
  constructor(approvalId: string, reason: string, options?: LanyardErrorOptions) {
    super(`approval "${approvalId}" no longer stands: ${reason}`, options)
    this.reason = reason
  }
}

/** A decision came for an approval that is already decided, spent or cancelled. */
export class ApprovalNotPending extends LanyardError {
  override code = 'ERR_APPROVAL_NOT_PENDING' as const
  readonly status: string
  constructor(approvalId: string, status: string, options?: LanyardErrorOptions) {
    super(`approval "${approvalId}" is ${status}, not pending`, options)
    this.status = status
  }
}

export class ApproverNotAllowed extends LanyardError {
  override code = 'ERR_APPROVER_NOT_ALLOWED' as const
  constructor(approver: string, options?: LanyardErrorOptions) {
    super(`"${approver}" is not an approver of this request`, options)
  }
}

export const approvalsErrors = [ApprovalRequired, ApprovalNotFound, ApprovalMismatch, ApprovalSpent, ApprovalExpired, ApprovalDenied, ApprovalCancelled, ApprovalNotPending, ApproverNotAllowed] as const
