import { ConnectorInvalid, type ConnectorDefinition } from '@lanyard/core'
import { sdkVersion } from '@lanyard/connector-sdk'
import semver from 'semver'

/** Where each built-in `type` lives; any other `type` is taken as an npm package name. */
export const builtInConnectors: Readonly<Record<string, string>> = {
  github: '@lanyard/connector-github',
  aws: '@lanyard/connector-aws',
  oauth: '@lanyard/connector-oauth',
  mcp: '@lanyard/connector-mcp',
  memory: '@lanyard/connector-sdk',
}

const requiredFunctions = ['create'] as const
const requiredSchemas = ['config', 'target'] as const

function looksLikeDefinition(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string' && 'create' in value
}

/**
 * Checks a module's export against the Connector contract, like fastify's registerPlugin: is
 * it a ConnectorDefinition, is its `sdk` range satisfied by this broker's SDK, are the required
 * members there and callable. Throws ConnectorInvalid naming the package and the member.
 */
export function checkDefinition(specifier: string, value: unknown): ConnectorDefinition<unknown, unknown> {
  if (value === null || typeof value !== 'object') throw new ConnectorInvalid(specifier, 'its export is not a ConnectorDefinition object (use defineConnector)')
  const definition = value as Record<string, unknown>
  if (typeof definition.type !== 'string' || definition.type.length === 0) throw new ConnectorInvalid(specifier, 'member "type" must be a non-empty string')
  if (typeof definition.sdk !== 'string') throw new ConnectorInvalid(specifier, 'member "sdk" must be a semver range of @lanyard/connector-sdk')
  if (semver.validRange(definition.sdk) === null) throw new ConnectorInvalid(specifier, `member "sdk" is not a valid semver range: "${definition.sdk}"`)
  if (!semver.satisfies(sdkVersion, definition.sdk)) throw new ConnectorInvalid(specifier, `written for @lanyard/connector-sdk ${definition.sdk}, this broker has ${sdkVersion}`)
  for (const member of requiredSchemas) {
    const schema = definition[member] as { '~standard'?: { validate?: unknown } } | undefined
    if (typeof schema?.['~standard']?.validate !== 'function') throw new ConnectorInvalid(specifier, `member "${member}" must be a Standard Schema (zod, valibot, ...)`)
  }
  const scopes = definition.scopes as { isKnown?: unknown } | undefined
  if (typeof scopes?.isKnown !== 'function') throw new ConnectorInvalid(specifier, 'member "scopes" must be a ScopeCatalogue with isKnown()')
  for (const member of requiredFunctions) if (typeof definition[member] !== 'function') throw new ConnectorInvalid(specifier, `member "${member}" must be a function`)
  if (definition.exclusiveTargetKey !== undefined && typeof definition.exclusiveTargetKey !== 'function') throw new ConnectorInvalid(specifier, 'member "exclusiveTargetKey" must be a function of the target, when present')
  return value as ConnectorDefinition<unknown, unknown>
}

/** The instance members every connector must have; checked after `create`. */
export function checkInstance(specifier: string, instance: unknown): void {
  for (const member of ['narrow', 'validateBinding', 'issue', 'revoke', 'health']) {
    if (typeof (instance as Record<string, unknown> | null)?.[member] !== 'function') throw new ConnectorInvalid(specifier, `create() returned an instance without "${member}()"`)
  }
}

/** Imports the package behind a `type` and returns its ConnectorDefinition for that type. */
export async function loadConnector(type: string): Promise<ConnectorDefinition<unknown, unknown>> {
  const specifier = builtInConnectors[type] ?? type
  let module: Record<string, unknown>
  try {
    module = (await import(specifier)) as Record<string, unknown>
  } catch (cause) {
    throw new ConnectorInvalid(specifier, `cannot be imported; is the package installed? (${(cause as NodeJS.ErrnoException).code ?? 'import failed'})`, { cause })
  }
  const candidates = [module.default, ...Object.values(module)].filter(looksLikeDefinition)
  const chosen = builtInConnectors[type] ? candidates.find((c) => c.type === type) : (candidates.find((c) => c === module.default) ?? (candidates.length === 1 ? candidates[0] : undefined))
  if (chosen === undefined) {
    throw new ConnectorInvalid(specifier, candidates.length > 1 ? 'exports several connectors; export the one to use as default' : 'exports no ConnectorDefinition (default export, made with defineConnector)')
  }
  return checkDefinition(specifier, chosen)
}
