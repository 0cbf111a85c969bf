import { validateStandard } from '@lanyard/core'
import { ensure } from '../failure.js'
import type { ConformanceCase } from './case.js'

const strayField = 'lanyardConformanceStrayField'

export const configCases: readonly ConformanceCase[] = [
  {
    name: 'config: unknown fields are refused (the schema is closed)',
    async run(ctx) {
      ensure(ctx.setup.config !== null && typeof ctx.setup.config === 'object' && !Array.isArray(ctx.setup.config), 'setup.config must be an object (the fields under systems[])')
      const result = await validateStandard(ctx.connector.config, { ...ctx.setup.config, [strayField]: true })
      ensure('issues' in result, `the config schema accepted an unknown field "${strayField}"; make it closed (zod .strict())`)
      ensure(result.issues.some((issue) => issue.includes(strayField)), `the config schema refused the unknown field but no issue names it: ${result.issues.join('; ')}`)
    },
  },
  {
    name: 'config: a value that is not an object is refused',
    async run(ctx) {
      for (const value of [null, 'github', 42, []]) {
        const result = await validateStandard(ctx.connector.config, value)
        ensure('issues' in result, `the config schema accepted ${JSON.stringify(value)}`)
      }
    },
  },
]
