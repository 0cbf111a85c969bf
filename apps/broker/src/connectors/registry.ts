import { ConfigInvalid, ConnectorInvalid, isLanyardError, validateStandard, type BrokerSigner, type Clock, type Logger, type ConnectorDefinition, type Mutex, type SystemEntry } from '@lanyard/core'
import type { SystemConfig } from '../config/load.js'
import { checkInstance, loadConnector } from './load-plugin.js'

export interface RegistryHost {
  readonly log: Logger & { child(bindings: Record<string, unknown>): Logger }
  readonly clock: Clock
  readonly signer: BrokerSigner
  readonly allowInsecureUpstreamHttp: boolean
  readonly fetch?: typeof fetch
  /** The deployment's: on Redis, shared by every replica. */
  readonly mutex: Mutex
}

/** One system whose entry its connector accepted; nothing created yet. */
export interface CheckedSystem {
  readonly system: SystemConfig
  readonly definition: ConnectorDefinition
  readonly config: unknown
}

/**
 * Second configuration pass: loads each system's connector and validates the rest of its entry
 * with the connector's own schema. Pure: runs before the broker writes or opens anything, so a
 * bad entry leaves no file behind. All problems of all systems are reported together, each
 * prefixed with its `systems[i]` path.
 */
export async function checkSystems(systems: readonly SystemConfig[]): Promise<CheckedSystem[]> {
  const issues: string[] = []
  const checked: CheckedSystem[] = []
  for (const system of systems) {
    try {
      const definition = await loadConnector(system.type)
      const result = await validateStandard(definition.config, system.config, system.path)
      if ('issues' in result) issues.push(...result.issues)
      else checked.push({ system, definition, config: result.value })
    } catch (error) {
      issues.push(...describe(system, error))
    }
  }
  if (issues.length > 0) throw new ConfigInvalid(issues)
  return checked
}

/** Creates the instances of checked systems; a connector's own start-time refusal names its system. */
export function createSystems(checked: readonly CheckedSystem[], host: RegistryHost): Map<string, SystemEntry> {
  const issues: string[] = []
  const entries = new Map<string, SystemEntry>()
  for (const { system, definition, config } of checked) {
    try {
      const instance = definition.create(config, {
        system: system.name,
        log: host.log.child({ system: system.name }),
        clock: host.clock,
        fetch: host.fetch ?? globalThis.fetch,
        signer: host.signer,
        allowInsecureUpstreamHttp: host.allowInsecureUpstreamHttp,
        mutex: host.mutex,
      })
      checkInstance(system.type, instance)
      entries.set(system.name, { name: system.name, type: definition.type, definition, instance })
    } catch (error) {
      issues.push(...describe(system, error))
    }
  }
  if (issues.length > 0) throw new ConfigInvalid(issues)
  return entries
}

function describe(system: SystemConfig, error: unknown): string[] {
  if (error instanceof ConfigInvalid) return error.issues.map((i) => `${system.path}: ${i}`)
  if (error instanceof ConnectorInvalid) return [`${system.path}.type: ${error.message}`]
  if (isLanyardError(error)) return [`${system.path}: ${error.message}`]
  throw error
}
