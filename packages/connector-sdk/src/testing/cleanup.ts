import type { ConformanceContext } from './context.js'
import { describeThrown } from './failure.js'

export const cleanupCaseName = 'cleanup: every credential this run issued is revoked'

export interface SweepResult {
  /** Grants still live upstream, or whose revoke failed: the run fails listing them. */
  readonly leftovers: readonly string[]
  /** Grants the connector honestly reported as unrevocable, with their date. */
  readonly unrevocable: readonly string[]
}

/**
 * Revokes every credential the run issued that no case revoked, then asks the upstream about
 * each one that a revoke called gone (Vault stepwise: a run leaves nothing live behind).
 * Sweeping twice checks only what is new.
 */
export async function sweepGrants(ctx: ConformanceContext): Promise<SweepResult> {
  const leftovers: string[] = []
  const unrevocable: string[] = []
  for (const grant of ctx.grants) {
    if (grant.swept) continue
    grant.swept = true
    try {
      const outcome = grant.outcome ?? (await ctx.revoke(grant))
      if (outcome.kind === 'unrevocable-until') {
        unrevocable.push(`${grant.grantId}: unrevocable until ${outcome.until.toISOString()}`)
      } else if (await ctx.setup.upstream.works(grant.issued.credential, [])) {
        leftovers.push(`${grant.grantId}: revoke said "${outcome.kind}" but the credential still works upstream`)
      }
    } catch (error) {
      leftovers.push(`${grant.grantId}: ${describeThrown(error)} while revoking or checking it`)
    }
  }
  return { leftovers, unrevocable }
}

/** Releases the instance and whatever setup started, after the sweep. */
export async function finishRun(ctx: ConformanceContext): Promise<void> {
  try {
    await ctx.instance.close?.()
  } finally {
    await ctx.setup.teardown?.()
  }
}

export function leftoverMessage(leftovers: readonly string[]): string {
  return `${leftovers.length} credential(s) issued by this run may still be live:\n  - ${leftovers.join('\n  - ')}`
}
