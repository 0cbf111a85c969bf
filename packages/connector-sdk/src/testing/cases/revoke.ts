import type { RevokeOutcome } from '@lanyard/core'
import type { ConformanceContext, TrackedGrant } from '../context.js'
import { ConformanceFailure, describeThrown, ensure } from '../failure.js'
import type { ConformanceCase } from './case.js'

/**
 * Checks an outcome against what the upstream says. A connector that cannot revoke must say
 * `unrevocable-until` with an honest date; `revoked` or `expired` while the credential still
 * works is a lie, the one failure this kit exists to catch.
 */
export async function ensureHonestOutcome(ctx: ConformanceContext, grant: TrackedGrant, outcome: RevokeOutcome, what: string, note: (message: string) => void): Promise<void> {
  switch (outcome?.kind) {
    // (1) revoked / expired: upstream must agree the credential is dead.
    case 'revoked':
    case 'expired': {
      const works = await ctx.setup.upstream.works(grant.issued.credential, [])
      ensure(!works, `${what} said "${outcome.kind}" but the credential still works upstream`)
      return
    }
    // (2) unrevocable: a real date, not in the past; reported, never hidden.
    case 'unrevocable-until': {
      ensure(outcome.until instanceof Date && !Number.isNaN(outcome.until.getTime()), `${what} said unrevocable-until without a valid Date`)
      ensure(outcome.until.getTime() >= ctx.host.clock.now().getTime(), `${what} said unrevocable-until ${outcome.until.toISOString()}, which is in the past: say "expired"`)
      note(`${what}: unrevocable until ${outcome.until.toISOString()} (reported as such)`)
      return
    }
    // (3) revoking: accepted upstream, not yet in effect; claims nothing, asks to be called again.
    case 'revoking': {
      ensure(Number.isFinite(outcome.checkAfterMs) && outcome.checkAfterMs >= 0, `${what} said revoking without a finite checkAfterMs`)
      note(`${what}: revoking (${outcome.why}); asks again after ${outcome.checkAfterMs} ms`)
      return
    }
    default:
      throw new ConformanceFailure(`${what} returned ${JSON.stringify(outcome)}; expected { kind: 'revoked' | 'expired' | 'unrevocable-until' | 'revoking' }`)
  }
}

async function revokeOrFail(ctx: ConformanceContext, grant: TrackedGrant, what: string): Promise<RevokeOutcome> {
  try {
    return await ctx.revoke(grant)
  } catch (error) {
    throw new ConformanceFailure(`${what} threw ${describeThrown(error)}; revoke must succeed`, { cause: error })
  }
}

export const revokeCases: readonly ConformanceCase[] = [
  {
    name: 'revoke: afterwards the credential stops working upstream',
    async run(ctx, note) {
      const grant = await ctx.issue()
      ensure(await ctx.setup.upstream.works(grant.issued.credential, []), 'the credential does not work upstream even before revoke')
      await ensureHonestOutcome(ctx, grant, await revokeOrFail(ctx, grant, 'revoke'), 'revoke', note)
    },
  },
  {
    name: 'revoke: twice succeeds (idempotent)',
    async run(ctx, note) {
      const grant = await ctx.issue()
      await ensureHonestOutcome(ctx, grant, await revokeOrFail(ctx, grant, 'the first revoke'), 'the first revoke', note)
      await ensureHonestOutcome(ctx, grant, await revokeOrFail(ctx, grant, 'the second revoke'), 'the second revoke', note)
    },
  },
  {
    name: 'revoke: one grant only (another credential keeps working)',
    async run(ctx, note) {
      const revoked = await ctx.issue()
      const kept = await ctx.issue()
      await ensureHonestOutcome(ctx, revoked, await revokeOrFail(ctx, revoked, 'revoke'), 'revoke', note)
      ensure(await ctx.setup.upstream.works(kept.issued.credential, kept.scopes), 'revoking one grant also killed another credential: revoke must reach only the grant it was given')
    },
  },
]

/** Last of the issuing cases: `expire` moves upstream time for everything issued before it. */
export const revokeAfterExpiryCase: ConformanceCase = {
  name: 'revoke: after expiry succeeds (expired or revoked)',
  appliesUnless: (ctx) => (ctx.setup.upstream.expire === undefined ? 'setup gives no upstream.expire (real upstreams cannot)' : undefined),
  async run(ctx, note) {
    const grant = await ctx.issue()
    await ctx.setup.upstream.expire?.()
    const outcome = await revokeOrFail(ctx, grant, 'revoke after expiry')
    ensure(outcome.kind === 'expired' || outcome.kind === 'revoked', `revoke after expiry said "${outcome.kind}"; expected "expired" or "revoked"`)
    await ensureHonestOutcome(ctx, grant, outcome, 'revoke after expiry', note)
  },
}
