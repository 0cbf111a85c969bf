/** What a revocation covers. `owner` fans out into one job per agent of that owner. */
export type RevocationScope =
  /** `tree`: this agent's part of a cut of its ancestor's tree, whose root job has that id (#17). */
  | { readonly kind: 'agent'; readonly handle: string; readonly tree?: string }
  /**
   * Every open grant of the agent on `system`, whichever binding version issued it. `bindingId`
   * is the binding current when the job opened, for the record. (Jobs opened before `system`
   * was recorded carry `bindingId` only.)
   */
  | { readonly kind: 'binding'; readonly handle: string; readonly system: string; readonly bindingId: string }
  | { readonly kind: 'grant'; readonly handle: string; readonly grantId: string }

/** A final result of a revoke. */
export type FinalRevokeOutcome =
  | { readonly kind: 'revoked' }
  | { readonly kind: 'expired' }
  | { readonly kind: 'unrevocable-until'; readonly until: Date }

/**
 * Results are values; only transient failure throws (UpstreamUnavailable), and is retried.
 * `revoking`: the upstream accepted the revocation but does not apply it yet (AWS IAM is
 * eventually consistent); the cascade asks again after `checkAfterMs`, and the task shows
 * `revoking` until the connector returns a final outcome. The connector bounds the wait.
 */
export type RevokeOutcome = FinalRevokeOutcome | { readonly kind: 'revoking'; readonly checkAfterMs: number; readonly why: string }

/** How the cascade records a `revoking` answer on a pending task (its `lastError`). */
export const revokingPrefix = 'revoking: '

/** A pending task whose last answer was `revoking`: the revocation is under way upstream. */
export function isRevoking(task: Pick<RevocationTask, 'status' | 'lastError'>): boolean {
  return task.status === 'pending' && task.lastError?.startsWith(revokingPrefix) === true
}

/**
 * What the cascade recorded for one grant. `proof` is the connector's own check after revoking
 * (its `probe`: the GitHub token now gets 401, the OAuth token introspects inactive, the IAM
 * deny policy reads back): `dead` is proven, `unknown` means the connector cannot tell.
 */
export type TaskOutcome = (FinalRevokeOutcome | { readonly kind: 'failed'; readonly error: string }) & { readonly proof?: 'dead' | 'alive' | 'unknown' }

export interface RevocationTask {
  readonly revocationId: string
  readonly grantId: string
  readonly handle: string
  readonly system: string
  readonly status: 'pending' | 'done'
  readonly attempts: number
  readonly nextAttemptAt: Date
  readonly lastError?: string
  readonly outcome?: TaskOutcome
  readonly leaseOwner?: string
  readonly leaseExpiresAt?: Date
}

export interface Revocation {
  readonly id: string
  readonly scope: RevocationScope
  readonly reason: string
  readonly actor: string
  readonly createdAt: Date
  readonly status: 'running' | 'done'
  readonly finishedAt?: Date
  readonly tasks: readonly RevocationTask[]
}

/** What relying parties hear about a revocation: that it started, and that its job is done. */
export type RevocationEventType = 'revocation.started' | 'revocation.finished'

export interface RevocationEvent {
  readonly type: RevocationEventType
  readonly revocation: Revocation
}
