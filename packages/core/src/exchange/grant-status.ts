import { GrantNotPending } from '../errors.js'
import type { GrantSettlement } from '../ports/store/grants.js'
import type { Grant, GrantStatus } from './grant.js'

/**
 * The grant status machine: where a grant may go from each status. Both stores build the
 * record they write with the functions below, so they cannot disagree on a transition.
 *
 * (1) `pending` settles once, to `live` or `failed` (settleGrant: the exchange, or the
 *     reconciler for one a crash left behind).
 * (2) A revocation task ends a `live` or still `pending` grant as `revoked` or `expired`, or
 *     leaves it `live` when the upstream cannot revoke it (completeTask).
 * (3) `failed`, `revoked` and `expired` are final; a task that finds one keeps it as it is.
 */
const transitions: Readonly<Record<GrantStatus, readonly GrantStatus[]>> = {
  pending: ['live', 'failed', 'revoked', 'expired'],
  live: ['revoked', 'expired'],
  failed: [],
  revoked: [],
  expired: [],
}

/** Whether a grant may go from `from` to `to`; staying where it is always may. */
export function canGrantBecome(from: GrantStatus, to: GrantStatus): boolean {
  return from === to || transitions[from].includes(to)
}

/**
 * The grant after `settlement` at `at` (1). GrantNotPending if it is settled already: of a
 * reconciler and a slow exchange, the first settlement stands and the second changes nothing.
 */
export function settledGrant(grant: Grant, settlement: GrantSettlement, at: Date): Grant {
  if (grant.status !== 'pending') throw new GrantNotPending(grant.id, grant.status, { detail: `refused to settle it as ${settlement.status}` })
  const { sealedSecret: _previous, ...rest } = grant
  if (settlement.status === 'failed') return { ...rest, status: 'failed', error: settlement.error, endedAt: at }
  return {
    ...rest,
    status: 'live',
    expiresAt: settlement.expiresAt,
    ref: settlement.ref,
    index: settlement.index,
    ...(settlement.sealedSecret === undefined ? {} : { sealedSecret: settlement.sealedSecret }),
  }
}

/**
 * The grant once a revocation task is done with it at `now` (2): `status` if the machine allows
 * it (a grant another job ended meanwhile stays as it ended, (3)), its sealed secret erased,
 * and, when it ended, the time it ended (the first end stands).
 */
export function grantAfterTask(grant: Grant, status: GrantStatus, now: Date): Grant {
  const { sealedSecret: _erased, ...kept } = grant
  const next = canGrantBecome(grant.status, status) ? status : grant.status
  const ended = next === 'revoked' || next === 'expired'
  return { ...kept, status: next, ...(ended ? { endedAt: grant.endedAt ?? now } : {}) }
}
