import { ConfigInvalid } from '@lanyard/core'
import { checkSystems } from '../connectors/registry.js'
import { decodeMasterKey } from '../local-secrets.js'
import { loadConfig, loadConfigDocument, readConfigDocument, type LoadOptions } from './load.js'

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
    if (!(error instanceof ConfigInvalid)) throw error
    // One run lists every error: the systems are checked against their connectors even when the rest is refused.
    const issues = [...new Set([...error.issues, ...(await systemIssuesAlone(options))])]
    return { source: options.path ?? options.env.LANYARD_CONFIG, issues, warnings: [], systems: [] }
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

/**
 * The issues of a refused file's systems, each entry checked alone against its connector's
 * schema (with the file's `sandbox` and `upstream` switches, which decide the address rule), so
 * one system's unreadable secret hides no other system's mistakes. Issues the whole-file check
 * already named come again; the caller drops repeats.
 */
async function systemIssuesAlone(options: LoadOptions): Promise<string[]> {
  let raw: unknown
  try {
    raw = readConfigDocument(options).raw
  } catch {
    return []
  }
  if (typeof raw !== 'object' || raw === null) return []
  const { systems, sandbox, upstream } = raw as Record<string, unknown>
  if (!Array.isArray(systems)) return []
  const issues: string[] = []
  for (const [i, entry] of systems.entries()) {
    try {
      const config = loadConfigDocument({ systems: [entry], sandbox, upstream }, undefined, options)
      await checkSystems(config.systems, { sandbox: config.sandbox, allowInsecureUpstreamHttp: config.upstream.allowInsecureUpstreamHttp })
    } catch (error) {
      if (!(error instanceof ConfigInvalid)) throw error
      issues.push(...error.issues.map((issue) => issue.replace(/^systems\[0\]/, `systems[${i}]`)))
    }
  }
  return issues
}
