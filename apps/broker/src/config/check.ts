import { ConfigInvalid } from '@lanyard/core'
import { checkSystems } from '../connectors/registry.js'
import { decodeMasterKey } from '../local-secrets.js'
import { loadConfig, type LoadOptions } from './load.js'

/** A warning with a stable code: the broker runs, but likely not as meant. */
export interface ConfigWarning {
  readonly code: string
  readonly message: string
}

/** Start-up warnings of a valid configuration (logged at start, shown by `/readyz` and `config check`). */
export function configWarnings(config: { readonly systems: readonly unknown[] }): ConfigWarning[] {
  return config.systems.length === 0
    ? [{ code: 'LANYARD_W001', message: 'no system is configured: every exchange will be refused (add one under `systems:` in lanyard.yaml; `lanyard sandbox` prints one for local stand-ins)' }]
    : []
}

export interface ConfigCheck {
  /** The file read, if any. */
  readonly source: string | undefined
  /** Every problem found, each naming its field; empty when the broker would start with it. */
  readonly issues: readonly string[]
  readonly warnings: readonly ConfigWarning[]
  /** The systems configured, when the file parsed. */
  readonly systems: readonly { readonly name: string; readonly type: string }[]
}

/**
 * What `lanyard config check` runs: everything the broker checks before it writes anything at
 * start (the file, the environment overrides, every secret reference, the master key's
 * encoding, each system against its connector's schema), collected into one list. Starts
 * nothing, opens no store, calls no upstream.
 */
export async function checkConfiguration(options: LoadOptions): Promise<ConfigCheck> {
  let config
  try {
    config = loadConfig(options)
  } catch (error) {
    if (error instanceof ConfigInvalid) return { source: options.path ?? options.env.LANYARD_CONFIG, issues: error.issues, warnings: [], systems: [] }
    throw error
  }
  const issues: string[] = []
  const collect = (error: unknown) => {
    if (error instanceof ConfigInvalid) issues.push(...error.issues)
    else throw error
  }
  if (config.masterKey === undefined && config.store.type === 'redis') issues.push('LANYARD_MASTER_KEY: required with a shared store (every replica must open the same secrets)')
  if (config.masterKey !== undefined) {
    try {
      decodeMasterKey(config.masterKey, options.env.LANYARD_MASTER_KEY ? 'LANYARD_MASTER_KEY' : 'masterKey')
    } catch (error) {
      collect(error)
    }
  }
  await checkSystems(config.systems, { sandbox: config.sandbox, allowInsecureUpstreamHttp: config.upstream.allowInsecureUpstreamHttp }).catch(collect)
  return { source: config.source, issues, warnings: configWarnings(config), systems: config.systems.map((s) => ({ name: s.name, type: s.type })) }
}
