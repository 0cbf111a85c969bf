import type { ExchangeCredential } from '@lanyard/core'
import { cleanupCaseName, finishRun, leftoverMessage, sweepGrants } from './cleanup.js'
import { conformanceCases } from './cases/index.js'
import { createConformanceContext } from './context.js'
import type { ConformanceContext } from './context.js'
import type { ConnectorConformanceOptions } from './types.js'

export interface ConformanceCaseResult {
  readonly name: string
  readonly status: 'passed' | 'failed' | 'skipped'
  /** Why it failed, or why it did not apply. */
  readonly message?: string
  readonly notes: readonly string[]
}

export interface ConformanceReport {
  readonly type: string
  readonly passed: boolean
  readonly cases: readonly ConformanceCaseResult[]
  readonly leftovers: readonly string[]
  readonly unrevocable: readonly string[]
}

/** LANYARD_ACC=1 lets setup use real upstreams (Vault's VAULT_ACC); default is the sandbox. */
export function isAcceptanceRun(): boolean {
  return process.env['LANYARD_ACC'] === '1'
}

async function runCase(name: string, run: (note: (message: string) => void) => Promise<void>): Promise<ConformanceCaseResult> {
  const notes: string[] = []
  try {
    await run((message) => notes.push(message))
    return { name, status: 'passed', notes }
  } catch (error) {
    return { name, status: 'failed', message: error instanceof Error ? error.message : String(error), notes }
  }
}

/**
 * Runs every case outside vitest and returns a report instead of failing: for the kit's own
 * tests (a broken connector must fail the right case) and for tools. A connector's test suite
 * calls `connectorConformance` instead.
 */
export async function runConformance<Config, Target, Credential extends ExchangeCredential>(
  options: ConnectorConformanceOptions<Config, Target, Credential>,
  acceptance = isAcceptanceRun(),
): Promise<ConformanceReport> {
  const ctx = (await createConformanceContext(options, acceptance)) as unknown as ConformanceContext
  const cases: ConformanceCaseResult[] = []
  let sweep: Awaited<ReturnType<typeof sweepGrants>> = { leftovers: [], unrevocable: [] }
  try {
    for (const conformanceCase of conformanceCases) {
      const skipReason = conformanceCase.appliesUnless?.(ctx)
      if (skipReason !== undefined) {
        cases.push({ name: conformanceCase.name, status: 'skipped', message: skipReason, notes: [] })
        continue
      }
      cases.push(await runCase(conformanceCase.name, (note) => conformanceCase.run(ctx, note)))
    }
    cases.push(
      await runCase(cleanupCaseName, async (note) => {
        sweep = await sweepGrants(ctx)
        sweep.unrevocable.forEach(note)
        if (sweep.leftovers.length > 0) throw new Error(leftoverMessage(sweep.leftovers))
      }),
    )
  } finally {
    await finishRun(ctx)
  }
  return { type: options.connector.type, passed: cases.every((c) => c.status !== 'failed'), cases, leftovers: sweep.leftovers, unrevocable: sweep.unrevocable }
}
