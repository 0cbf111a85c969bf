import type { Agent } from '../../agents/agent.js'
import type { AuditDraft } from '../../audit/event.js'
import type { GrantStatus } from '../../exchange/grant.js'
import type { Revocation, RevocationScope, RevocationTask, TaskOutcome } from '../../revocation/revocation.js'
import type { StatusChange } from './agents.js'

/**
 * A newly opened revocation job; the store adds one task per grant in scope that is `live` or
 * still `pending` (an exchange in flight when the revocation committed: its credential may yet
 * go live, so the cascade must see it).
 */
export interface RevocationStart {
  readonly id: string
  readonly scope: RevocationScope
  readonly reason: string
  readonly actor: string
  readonly createdAt: Date
  /**
   * Set the agent's status (and bump its generation) in the same write, e.g. revoke. When the
   * agent ends `revoked`, each of its active bindings ends `revoked` in that write too.
   */
  readonly statusChange?: StatusChange
  /**
   * Scope `binding` only: in the same write, `revoke` sets the binding's status to `revoked`
   * (an exchange that has not begun its grant is then refused with BindingRevoked); `remove`
   * deletes it. BindingNotFound when the agent has no binding to that system.
   */
  readonly bindingChange?: 'revoke' | 'remove'
}

export interface TaskResult {
  readonly outcome: TaskOutcome
  /** The grant's new status: `revoked`, `expired`, or unchanged (`live`) when unrevocable. */
  readonly grantStatus: GrantStatus
}

/** `completed`: false when `owner` did not hold the lease (nothing changed). `revocationDone`:
 * this was the job's last pending task, so the job is now `done`. */
export interface TaskCompletion {
  readonly completed: boolean
  readonly revocationDone: boolean
}

/** Revocation jobs, their tasks (one per grant) and the tasks' leases. Conformance:
 * `testing/store/revocations.ts`. */
export interface RevocationStore {
  /**
   * Atomic: applies the optional status change (bumping the generation), opens the job with one
   * pending task per grant in scope that is `pending`, or `live` and not yet expired at
   * `start.createdAt` (one expired since is dead already: an agent's history holds many;
   * scope `grant` takes its grant whatever its expiry), appends the audit event, and puts
   * `revocation.started` (and `revocation.finished` when there is no task) in the outbox.
   * AgentNotActive if the status change is not allowed from the current status.
   */
  startRevocation(start: RevocationStart, audit: AuditDraft): Promise<{ revocation: Revocation; agent: Agent }>
  getRevocation(id: string): Promise<Revocation | undefined>
  /** Revocations with pending tasks, oldest first. */
  listOpenRevocations(): Promise<Revocation[]>
  /** The history: every revocation created before `before` (default: any), newest first, at most `limit`. */
  listRevocations(query: { readonly before?: Date; readonly limit: number }): Promise<Revocation[]>
  /**
   * Leases up to `limit` pending tasks whose `nextAttemptAt` has come and whose lease is free
   * or expired. A task is leased to one owner at a time.
   */
  claimTasks(owner: string, now: Date, leaseMs: number, limit: number): Promise<RevocationTask[]>
  /**
   * Atomic: finishes the task (only while `owner` holds its lease; `completed: false` otherwise), sets the
   * grant's status, erases its sealed secret, appends the audit event, closes the job when it
   * was the last task (and puts `revocation.finished` in the outbox).
   */
  completeTask(owner: string, revocationId: string, grantId: string, result: TaskResult, now: Date, audit: AuditDraft): Promise<TaskCompletion>
  /** Releases the lease and schedules another attempt. */
  retryTask(owner: string, revocationId: string, grantId: string, nextAttemptAt: Date, error: string): Promise<void>
}
