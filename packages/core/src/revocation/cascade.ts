import { UpstreamUnavailable, isLanyardError, isRetryable } from '../errors.js'
import { createPassLoop, type PassLoop } from './pass-loop.js'
import type { Sealer } from '../crypto/sealer.js'
import type { Systems } from '../exchange/connectors.js'
import { grantSealContext } from '../exchange/exchange.js'
import type { GrantStatus } from '../exchange/grant.js'
import type { Clock } from '../ports/clock.js'
import type { Logger } from '../ports/connector.js'
import type { GrantStore, RevocationStore } from '../ports/store/index.js'
import type { ConnectorInstance, RevokeRequest } from '../ports/connector.js'
import { revokingPrefix } from './revocation.js'
import type { Revocation, RevocationTask, TaskOutcome } from './revocation.js'

export interface CascadeSettings {
  /** Tasks worked at once by this replica. */
  readonly concurrency: number
  /** A task's lease; a replica that dies loses it after this long and another takes over. */
  readonly leaseMs: number
  /** Attempts before a transient failure becomes the final outcome `failed`. */
  readonly maxAttempts: number
  readonly backoffBaseMs: number
  readonly backoffMaxMs: number
  readonly upstreamTimeoutMs: number
  /** How long to wait for a grant still `pending` (exchange in flight) before looking again. */
  readonly pendingRecheckMs: number
  /**
   * After each successful revoke, ask the connector's `probe` whether the credential is dead
   * and record the proof. One more upstream round trip per grant; on by default.
   */
  readonly proveRevocation: boolean
}

/** Claims and works due tasks until none is left (`drain`), on a timer (`start`), or at once
 * after a revoke (`wake`). */
export type CascadeWorker = PassLoop

/** Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff and Jitter"). */
export function backoffMs(attempt: number, settings: Pick<CascadeSettings, 'backoffBaseMs' | 'backoffMaxMs'>, random = Math.random): number {
  const ceiling = Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** attempt)
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

function statusAfter(outcome: TaskOutcome): GrantStatus {
  switch (outcome.kind) {
    case 'revoked':
      return 'revoked'
    case 'expired':
      return 'expired'
    case 'unrevocable-until':
    case 'failed':
      return 'live'
  }
}

/**
 * Works revocation tasks: each leased to one replica at a time, revoked through the grant's
 * connector, finished with a per-task outcome. Survives restarts because every step is a store
 * write: a task whose holder died is leased again when its lease expires.
 */
export function createCascadeWorker(deps: {
  store: RevocationStore & GrantStore
  systems: Systems
  sealer: Sealer
  clock: Clock
  log: Logger
  owner: string
  settings: CascadeSettings
  /** Called once a job has no task left (at least once: two replicas may both see it finish). */
  onFinished?: (revocation: Revocation) => void
}): CascadeWorker {
  const { store, systems, sealer, clock, log, owner, settings } = deps

  async function finish(task: RevocationTask, outcome: TaskOutcome, grantStatus: GrantStatus): Promise<void> {
    const details: Record<string, unknown> = { revocation_id: task.revocationId, system: task.system, outcome: outcome.kind }
    if (outcome.kind === 'unrevocable-until') details.until = outcome.until.toISOString()
    if (outcome.kind === 'failed') details.error = outcome.error
    if (outcome.proof !== undefined) details.proof = outcome.proof
    const completed = await store.completeTask(owner, task.revocationId, task.grantId, { outcome, grantStatus }, clock.now(), {
      at: clock.now(), actor: 'system', action: 'grant.revoked', target: task.grantId,
      outcome: outcome.kind === 'failed' ? 'failure' : 'success', details,
    })
    // Only the completion that closed the job reads it back (a job's read is O(tasks)).
    if (completed.revocationDone && deps.onFinished) {
      const revocation = await store.getRevocation(task.revocationId)
      if (revocation?.status === 'done') deps.onFinished(revocation)
    }
  }

  /** After a revoke, the connector's own check that the credential is dead, where it has one. */
  async function prove(instance: { probe?: ConnectorInstance['probe'] }, request: RevokeRequest): Promise<'dead' | 'alive' | 'unknown' | undefined> {
    if (instance.probe === undefined) return undefined
    try {
      return await instance.probe(request, AbortSignal.timeout(settings.upstreamTimeoutMs))
    } catch (error) {
      log.warn({ grant_id: request.grantId, err: isLanyardError(error) ? error.code : 'unexpected' }, 'probe after revoke failed')
      return 'unknown'
    }
  }

  async function work(task: RevocationTask): Promise<void> {
    const grant = await store.getGrant(task.handle, task.grantId)
    const now = clock.now()
    // (1) Nothing to revoke: the grant is gone, never went live, or already ended.
    if (grant === undefined || grant.status === 'failed') return finish(task, { kind: 'expired' }, grant?.status ?? 'failed')
    if (grant.status === 'revoked' || grant.status === 'expired') return finish(task, { kind: grant.status }, grant.status)
    // (2) An exchange still in flight: look again shortly; it settles live or failed.
    if (grant.status === 'pending') return store.retryTask(owner, task.revocationId, task.grantId, new Date(now.getTime() + settings.pendingRecheckMs), 'grant still pending')
    // (3) Live: ask its connector.
    const system = systems.get(grant.system)
    if (system === undefined) return fail(task, `system "${grant.system}" is no longer configured`, false)
    try {
      const request: RevokeRequest = {
        grantId: grant.id,
        handle: grant.handle,
        ref: (grant.ref ?? {}) as Record<string, unknown>,
        issuedAt: grant.createdAt,
        expiresAt: grant.expiresAt ?? now,
        ...(grant.sealedSecret === undefined ? {} : { secret: sealer.open(grant.sealedSecret, grantSealContext(grant.id)) }),
      }
      const outcome = await system.instance.revoke(request, AbortSignal.timeout(settings.upstreamTimeoutMs))
      // (4) Accepted upstream, not yet in effect: asked again later; the connector bounds the wait.
      if (outcome.kind === 'revoking') {
        const next = new Date(clock.now().getTime() + Math.max(0, outcome.checkAfterMs))
        return store.retryTask(owner, task.revocationId, task.grantId, next, `${revokingPrefix}${outcome.why}`)
      }
      const proof = outcome.kind === 'revoked' && settings.proveRevocation ? await prove(system.instance, request) : undefined
      // A connector that says `revoked` while its own probe still sees the credential alive has
      // not revoked it: retried like a transient failure, then reported failed.
      if (proof === 'alive') return fail(task, 'the connector reported revoked but its probe still sees the credential alive', true)
      await finish(task, proof === undefined ? outcome : { ...outcome, proof }, statusAfter(outcome))
    } catch (error) {
      const message = isLanyardError(error) ? error.message : 'unexpected error'
      if (!isLanyardError(error)) log.error({ grant_id: grant.id, system: grant.system, err: String(error) }, 'connector revoke threw a non-catalogue error')
      const retryAfterMs = error instanceof UpstreamUnavailable ? error.retryAfterMs : undefined
      await fail(task, message, isRetryable(error) || (error instanceof DOMException && error.name === 'TimeoutError'), retryAfterMs)
    }
  }

  /**
   * A transient failure is retried until `maxAttempts` is spent; then the task ends `failed`
   * with the last answer (the connector's message: the upstream's status and OAuth error code,
   * never a body). The next attempt waits the backoff, or the upstream's `Retry-After` when that
   * is longer, capped at `backoffMaxMs` so one answer cannot park a cascade for hours.
   */
  async function fail(task: RevocationTask, message: string, retryable: boolean, retryAfterMs?: number): Promise<void> {
    const attempts = task.attempts + 1
    if (!retryable || attempts >= settings.maxAttempts) return finish(task, { kind: 'failed', error: message }, 'live')
    const waitMs = Math.max(backoffMs(attempts, settings), Math.min(retryAfterMs ?? 0, settings.backoffMaxMs))
    await store.retryTask(owner, task.revocationId, task.grantId, new Date(clock.now().getTime() + waitMs), message)
  }

  /**
   * Keeps up to `concurrency` tasks in flight, leasing more as slots free up (in chunks of a
   * quarter of the pool, so claims stay few) instead of waiting for a whole batch: one slow
   * upstream call then holds one slot, not the pass. Returns when nothing is due.
   */
  async function pass(): Promise<number> {
    let done = 0
    const inFlight = new Set<Promise<void>>()
    const chunk = Math.max(1, Math.floor(settings.concurrency / 4))
    for (;;) {
      const room = settings.concurrency - inFlight.size
      if (room >= chunk || inFlight.size === 0) {
        const tasks = await store.claimTasks(owner, clock.now(), settings.leaseMs, room)
        for (const task of tasks) {
          const running: Promise<void> = work(task)
            .catch((error: unknown) => log.error({ err: String(error) }, 'revocation task could not be recorded; its lease will expire and it will run again'))
            .finally(() => inFlight.delete(running))
          inFlight.add(running)
        }
        done += tasks.length
        if (tasks.length === 0 && inFlight.size === 0) return done
        if (tasks.length > 0 && inFlight.size < settings.concurrency) continue
      }
      await Promise.race(inFlight)
    }
  }

  return createPassLoop(pass, log, 'cascade')
}
