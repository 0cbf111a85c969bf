import {
  ApprovalCancelled,
  ApprovalDenied,
  ApprovalExpired,
  ApprovalMismatch,
  ApprovalNotPending,
  ApprovalRequired,
  ApprovalSpent,
} from '../errors.js'

/**
 * `pending` until a person decides; `approved` until the agent uses it (`spent`, once) or it
 * expires; `denied` is final; `cancelled` when the agent was revoked while it waited.
 */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'spent' | 'cancelled'

/**
 * On a binding: which exchanges need a person's approval first.
 * (1) `scopes: "all"`, or any requested scope listed in `scopes`;
 * (2) or, with `belowTier`, every exchange of an agent below that tier.
 */
export interface ApprovalPolicy {
  readonly scopes: readonly string[] | 'all'
  /** `owner` (the agent's owner) or email addresses of the people who may decide. */
  readonly approvers: readonly string[]
  /** How long a request waits for a decision, and an approval for its one use. */
  readonly ttlSeconds: number
  readonly belowTier?: number
}

/** One request for one exchange: this agent, this binding, this exact scope set, once. */
export interface Approval {
  readonly id: string
  readonly handle: string
  readonly bindingId: string
  readonly system: string
  /** Sorted, distinct: the exact set the grant will carry. */
  readonly scopes: readonly string[]
  /** The agent's generation when it asked: a suspension, resumption or key removal since voids it. */
  readonly generation: number
  /** Resolved from the policy (`owner` replaced by the owner's address) when it was asked. */
  readonly approvers: readonly string[]
  readonly reason?: string
  readonly status: ApprovalStatus
  readonly requestedAt: Date
  readonly expiresAt: Date
  readonly decidedBy?: string
  readonly decidedAt?: Date
  readonly note?: string
  readonly grantId?: string
  readonly spentAt?: Date
}

export interface ApprovalDecision {
  readonly status: 'approved' | 'denied'
  /** The person who decided (an email), checked against `approvers` by the caller. */
  readonly by: string
  readonly at: Date
  readonly note?: string
}

/** The exact scope set, in the one order approvals compare and store it. */
export function scopeSet(scopes: readonly string[]): string[] {
  return [...new Set(scopes)].sort()
}

/** Whether `policy` asks a person before granting `scopes` to an agent at `tier`. */
export function needsApproval(policy: ApprovalPolicy | undefined, tier: number, scopes: readonly string[]): boolean {
  if (policy === undefined) return false
  if (policy.belowTier !== undefined && tier < policy.belowTier) return true
  if (policy.scopes === 'all') return policy.belowTier === undefined
  const listed = policy.scopes
  return scopes.some((scope) => listed.includes(scope))
}

/** The approval after a person's decision. ApprovalNotPending unless pending; ApprovalExpired past its time. */
export function decidedApproval(approval: Approval, decision: ApprovalDecision): Approval {
  if (approval.status !== 'pending') throw new ApprovalNotPending(approval.id, approval.status)
  if (decision.at >= approval.expiresAt) throw new ApprovalExpired(approval.id)
  return { ...approval, status: decision.status, decidedBy: decision.by, decidedAt: decision.at, ...(decision.note === undefined ? {} : { note: decision.note }) }
}

export interface ApprovedUse {
  readonly handle: string
  readonly bindingId: string
  readonly scopes: readonly string[]
  readonly generation: number
  readonly grantId: string
  readonly at: Date
}

/**
 * The approval spent on `use`, or the refusal, in this order: (1) another agent; (2) its
 * state: still pending (ApprovalRequired, the agent keeps waiting), denied, cancelled, spent;
 * (3) expired; (4) another binding or scope set; (5) the agent changed since it asked. Stores
 * call this inside the write that records the grant, so an approval is spent exactly once.
 */
export function spentApproval(approval: Approval, use: ApprovedUse): Approval {
  if (approval.handle !== use.handle) throw new ApprovalMismatch(approval.id, 'agent')
  switch (approval.status) {
    case 'pending':
      throw new ApprovalRequired(approval.id, approval.expiresAt)
    case 'denied':
      throw new ApprovalDenied(approval.id)
    case 'cancelled':
      throw new ApprovalCancelled(approval.id, 'agent revoked')
    case 'spent':
      throw new ApprovalSpent(approval.id)
    case 'approved':
      break
  }
  if (use.at >= approval.expiresAt) throw new ApprovalExpired(approval.id)
  if (approval.bindingId !== use.bindingId) throw new ApprovalMismatch(approval.id, 'binding')
  const scopes = scopeSet(use.scopes)
  if (scopes.length !== approval.scopes.length || scopes.some((s, i) => s !== approval.scopes[i])) throw new ApprovalMismatch(approval.id, 'scopes')
  if (approval.generation !== use.generation) throw new ApprovalCancelled(approval.id, 'agent changed')
  return { ...approval, status: 'spent', grantId: use.grantId, spentAt: use.at }
}
