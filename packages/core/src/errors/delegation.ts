/** The error catalogue: delegation (sub-agents a parent spawns within its own ceiling). */
import { LanyardError, type LanyardErrorOptions } from './lanyard-error.js'

/** Why a parent may not hand something to a child. */
export type DelegationDeniedReason = 'not-delegable' | 'wider-than-parent' | 'not-bound' | 'not-parent' | 'parent-not-active' | 'not-in-may-act' | 'no-live-rule' | 'actor-not-active'

/**
 * Also: an exchange with an `actor_token` whose actor the subject token's `may_act` does not
 * name, with no live delegation rule for that actor and system, or by an actor not active.
 *
 * The parent asked for what it cannot give: a binding whose policy is not `delegable`, scopes
 * its own binding does not cover, a system it is not bound to, or an agent that is not its child.
 */
export class DelegationDenied extends LanyardError {
  override code = 'ERR_DELEGATION_DENIED' as const
  readonly reason: DelegationDeniedReason
  constructor(message: string, reason: DelegationDeniedReason, options?: LanyardErrorOptions) {
    super(message, options)
    this.reason = reason
  }
}

/** The parent is as deep as `delegation.maxDepth` allows: its children could not be spawned. */
export class DelegationDepthExceeded extends LanyardError {
  override code = 'ERR_DELEGATION_DEPTH' as const
  constructor(parent: string, maxDepth: number, options?: LanyardErrorOptions) {
    super(`"${parent}" is at the delegation depth limit (${maxDepth}); it cannot spawn children`, options)
  }
}

/** The parent already has `delegation.maxChildren` children that are not revoked. */
export class ChildLimitReached extends LanyardError {
  override code = 'ERR_CHILD_LIMIT' as const
  constructor(parent: string, maxChildren: number, options?: LanyardErrorOptions) {
    super(`"${parent}" already has ${maxChildren} live children; revoke one first`, options)
  }
}

export const delegationErrors = [DelegationDenied, DelegationDepthExceeded, ChildLimitReached] as const
