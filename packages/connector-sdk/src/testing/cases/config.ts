import { validateStandard } from '@lanyard/core'
import semver from 'semver'
import { sdkVersion } from '../../define-connector.js'
import { ensure } from '../failure.js'
import type { ConformanceCase } from './case.js'

const strayField = 'lanyardConformanceStrayField'

const instanceMembers = ['narrow', 'validateBinding', 'issue', 'revoke', 'health'] as const

export const configCases: readonly ConformanceCase[] = [
  {
    name: 'definition: passes the checks the broker makes at load',
    async run(ctx) {
      const { connector, instance } = ctx
      ensure(typeof connector.type === 'string' && /^[a-z0-9@][a-z0-9@/._-]*$/.test(connector.type), `type "${connector.type}" must be a non-empty lower-case name (the lanyard.yaml type or the package name)`)
      ensure(semver.validRange(connector.sdk) !== null, `sdk "${connector.sdk}" is not a semver range`)
      ensure(semver.satisfies(sdkVersion, connector.sdk), `sdk "${connector.sdk}" is not satisfied by this @lanyard/connector-sdk (${sdkVersion}); the broker would refuse it`)
      for (const member of ['config', 'target'] as const) ensure(typeof connector[member]?.['~standard']?.validate === 'function', `${member} must be a Standard Schema (zod, valibot, ...)`)
      ensure(typeof connector.scopes?.isKnown === 'function', 'scopes must be a ScopeCatalogue (defineScopes)')
      ensure(connector.whoisKeys === undefined || connector.whoisKeys.every((key) => typeof key === 'string'), 'whoisKeys must be strings')
      for (const member of instanceMembers) ensure(typeof instance[member] === 'function', `create() returned an instance without ${member}()`)
      ensure(instance.probe === undefined || typeof instance.probe === 'function', 'probe, when present, must be a function')
    },
  },
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
