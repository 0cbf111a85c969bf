import type { ExchangeCredential } from '@lanyard/core'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { conformanceCases } from './cases/index.js'
import { cleanupCaseName, finishRun, leftoverMessage, sweepGrants } from './cleanup.js'
import { createConformanceContext } from './context.js'
import type { ConformanceContext } from './context.js'
import { isAcceptanceRun } from './run-conformance.js'
import type { ConnectorConformanceOptions } from './types.js'

/**
 * Registers the connector conformance suite: one `describe` with every case of the contract,
 * run against the connector as `setup` configures it. A connector's `test/conformance.test.ts`
 * is this one call. There is no per-case opt-out; optional cases follow declared capabilities
 * (`probe`, `upstream.expire`) and show as skipped with the reason.
 *
 * Everything the run issues is tracked; the last case revokes whatever is still live and
 * fails listing leftovers, and `afterAll` sweeps again (a `-t` filter may skip that case)
 * before `teardown`. `setup` receives `{ acceptance }`: true only under LANYARD_ACC=1, the one
 * switch that may point it at a real upstream.
 */
export function connectorConformance<Config, Target, Credential extends ExchangeCredential>(options: ConnectorConformanceOptions<Config, Target, Credential>): void {
  describe(options.name ?? `connector "${options.connector.type}" conformance`, () => {
    let ctx: ConformanceContext | undefined
    const live = (): ConformanceContext => {
      if (ctx === undefined) throw new Error('conformance setup did not complete; see the beforeAll error')
      return ctx
    }

    beforeAll(async () => {
      ctx = (await createConformanceContext(options, isAcceptanceRun())) as unknown as ConformanceContext
    })

    for (const conformanceCase of conformanceCases) {
      it(conformanceCase.name, async ({ skip, annotate }) => {
        const context = live()
        const skipReason = conformanceCase.appliesUnless?.(context)
        if (skipReason !== undefined) skip(skipReason)
        const notes: string[] = []
        try {
          await conformanceCase.run(context, (message) => notes.push(message))
        } finally {
          for (const message of notes) await annotate(message, 'notice')
        }
      })
    }

    it(cleanupCaseName, async ({ annotate }) => {
      const sweep = await sweepGrants(live())
      for (const message of sweep.unrevocable) await annotate(message, 'notice')
      if (sweep.leftovers.length > 0) throw new Error(leftoverMessage(sweep.leftovers))
    })

    afterAll(async () => {
      if (ctx === undefined) return
      const sweep = await sweepGrants(ctx).finally(() => finishRun(live()))
      if (sweep.leftovers.length > 0) throw new Error(leftoverMessage(sweep.leftovers))
    })
  })
}
