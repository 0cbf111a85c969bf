import { validateStandard } from '@lanyard/core'
import { ConformanceFailure, describeThrown, ensureRefusal, ensure, thrownBy } from '../failure.js'
import type { ConformanceCase } from './case.js'

export const bindCases: readonly ConformanceCase[] = [
  {
    name: 'validateBinding: accepts the setup target and ceiling',
    async run(ctx) {
      let normalised: unknown
      try {
        normalised = await ctx.instance.validateBinding(ctx.target, ctx.setup.ceiling, new AbortController().signal)
      } catch (error) {
        throw new ConformanceFailure(`validateBinding refused the setup target: ${describeThrown(error)}`, { cause: error })
      }
      const again = await validateStandard(ctx.connector.target, normalised)
      ensure(!('issues' in again), `validateBinding returned a target its own target schema refuses: ${'issues' in again ? again.issues.join('; ') : ''}`)
    },
  },
  {
    name: 'validateBinding: a ceiling with an unknown item is ScopeUnknown naming it',
    async run(ctx) {
      const item = ctx.setup.requests.unknown[0] ?? ''
      const ceiling = [...ctx.setup.ceiling, item]
      const error = await thrownBy(() => ctx.instance.validateBinding(ctx.target, ceiling, new AbortController().signal), 'validateBinding with an unknown ceiling item')
      ensureRefusal(error, 'ERR_SCOPE_UNKNOWN', item, 'validateBinding with an unknown ceiling item')
    },
  },
]
