import { randomUUID } from 'node:crypto'
import type { Grant } from '../exchange/grant.js'
import type { KeyRing } from '../tokens/key-ring.js'
import { signJwt } from '../tokens/sign-jwt.js'
import { isRevoking } from './revocation.js'
import type { Revocation } from './revocation.js'

/** JOSE `typ` of a revocation receipt; verifiable against the broker's JWKS. */
export const receiptType = 'lanyard-receipt+jwt'

export interface ReceiptLine {
  /** The agent that held the grant: the root's or, in a tree cut (#17), a descendant's. */
  readonly handle: string
  readonly grant_id: string
  readonly system: string
  readonly outcome: string
  /** `dead`: the connector proved it upstream after revoking. */
  readonly proof?: string
  readonly expires_at?: string
  /** When this credential is dead for sure: now if revoked, its expiry otherwise. */
  readonly dead_at: string
  readonly error?: string
}

export interface ReceiptBody {
  readonly revocation: { readonly id: string; readonly scope: unknown; readonly reason: string; readonly actor: string; readonly created_at: string; readonly finished_at?: string }
  readonly grants: readonly ReceiptLine[]
  /** A tree cut (#17): each descendant's own job; their grants are lines above, by handle. */
  readonly tree?: ReadonlyArray<{ readonly handle: string; readonly revocation_id: string }>
  readonly summary: { readonly provably_dead: number; readonly revoked_unproven: number; readonly dead_by_expiry: number; readonly failed: number }
  /** The moment the last credential covered by this revocation is dead ("full dark"). */
  readonly full_dark_at: string
}

/**
 * What was provably killed, what dies only by expiry and when, and the moment of full dark.
 * (1) revoked: dead when the job finished (proof `dead` when the connector could check);
 * (2) expired: dead at its expiry; (3) unrevocable-until: dead at `until`; (4) failed: assume
 * alive until its expiry, the worst case.
 */
export function receiptBody(revocation: Revocation, grants: ReadonlyMap<string, Grant>, tree: readonly Revocation[] = []): ReceiptBody {
  const finishedOf = (job: Revocation) => job.finishedAt ?? job.createdAt
  const finished = [revocation, ...tree].map(finishedOf).reduce((latest, at) => (at > latest ? at : latest))
  const lines: ReceiptLine[] = [revocation, ...tree].flatMap((job) => job.tasks.map((task) => ({ task, finished: finishedOf(job) }))).map(({ task, finished: jobFinished }) => {
    const grant = grants.get(task.grantId)
    const expiresAt = grant?.expiresAt
    const outcome = task.outcome
    const deadAt =
      outcome?.kind === 'revoked' ? jobFinished
      : outcome?.kind === 'unrevocable-until' ? outcome.until
      : expiresAt ?? jobFinished
    return {
      handle: task.handle,
      grant_id: task.grantId,
      system: task.system,
      outcome: outcome?.kind ?? (isRevoking(task) ? 'revoking' : 'pending'),
      ...(outcome?.proof === undefined ? {} : { proof: outcome.proof }),
      ...(expiresAt === undefined ? {} : { expires_at: expiresAt.toISOString() }),
      dead_at: deadAt.toISOString(),
      ...(outcome?.kind === 'failed' ? { error: outcome.error } : {}),
    }
  })
  const fullDark = lines.reduce((latest, line) => (line.dead_at > latest ? line.dead_at : latest), finished.toISOString())
  return {
    revocation: {
      id: revocation.id, scope: revocation.scope, reason: revocation.reason, actor: revocation.actor,
      created_at: revocation.createdAt.toISOString(), ...(revocation.finishedAt === undefined ? {} : { finished_at: revocation.finishedAt.toISOString() }),
    },
    grants: lines,
    ...(tree.length === 0 ? {} : { tree: tree.map((job) => ({ handle: job.scope.handle, revocation_id: job.id })) }),
    summary: {
      provably_dead: lines.filter((l) => l.outcome === 'revoked' && l.proof === 'dead').length,
      revoked_unproven: lines.filter((l) => l.outcome === 'revoked' && l.proof !== 'dead').length,
      dead_by_expiry: lines.filter((l) => l.outcome === 'expired' || l.outcome === 'unrevocable-until').length,
      failed: lines.filter((l) => l.outcome === 'failed').length,
    },
    full_dark_at: fullDark,
  }
}

/** Signs a receipt with the broker's current EdDSA key (JWS compact, typ lanyard-receipt+jwt). */
export async function signReceipt(keys: KeyRing, issuer: string, body: ReceiptBody, now: Date): Promise<string> {
  return signJwt(keys, { alg: 'EdDSA', typ: receiptType }, { issuer, subject: body.revocation.id, issuedAt: now, jti: randomUUID() }, { ...body })
}
