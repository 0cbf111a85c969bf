import { ConfigInvalid, ConnectorInvalid, isLanyardError, validateStandard, type BrokerSigner, type Clock, type Logger, type Mutex, type SystemEntry } from '@lanyard/core'
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

/**
 * Second configuration pass: loads each system's connector, validates the rest of its entry
 * with the connector's own schema, creates the instance. All problems of all systems are
 * reported together, each prefixed with its `systems[i]` path.
 */
export async function createSystems(systems: readonly SystemConfig[], host: RegistryHost): Promise<Map<string, SystemEntry>> {
  const issues: string[] = []
  const entries = new Map<string, SystemEntry>()
  for (const system of systems) {
    try {
      const definition = await loadConnector(system.type)
      const result = await validateStandard(definition.config, system.config, system.path)
      if ('issues' in result) {
        issues.push(...result.issues)
        continue
      }
      const instance = definition.create(result.value, {
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
      if (error instanceof ConfigInvalid) issues.push(...error.issues.map((i) => `${system.path}: ${i}`))
      else if (error instanceof ConnectorInvalid) issues.push(`${system.path}.type: ${error.message}`)
      else if (isLanyardError(error)) issues.push(`${system.path}: ${error.message}`)
      else throw error
    }
  }
  if (issues.length > 0) throw new ConfigInvalid(issues)
  return entries
}
