import { ConfigInvalid, ConnectorInvalid, isLanyardError, validateStandard, type BrokerSigner, type Clock, type Logger, type ConnectorDefinition, type Mutex, type SystemEntry } from '@lanyard/core'
import type { SystemConfig } from '../config/load.js'
import { withUpstreamPolicy, type UpstreamPolicy } from '@lanyard/connector-sdk'
import { checkInstance, loadConnector } from './load-plugin.js'
import { createUpstreamFetch, defaultMaxResponseBytes, type UpstreamFetch } from './upstream-fetch.js'

export interface RegistryHost {
  readonly log: Logger & { child(bindings: Record<string, unknown>): Logger }
  readonly clock: Clock
  readonly signer: BrokerSigner
  readonly allowInsecureUpstreamHttp: boolean
  /** `sandbox: true`: loopback upstreams are allowed (the local stand-ins). */
  readonly sandbox: boolean
  readonly upstreamTimeoutMs: number
  /** Replaces the network under each system's bounded fetch (tests, proxies). */
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
export async function checkSystems(systems: readonly SystemConfig[], deployment: { sandbox: boolean; allowInsecureUpstreamHttp: boolean }): Promise<CheckedSystem[]> {
  const issues: string[] = []
  const checked: CheckedSystem[] = []
  for (const system of systems) {
    try {
      const definition = await loadConnector(system.type)
      // Every upstreamUrl() field is checked under this system's switch of the one address rule.
      const result = await withUpstreamPolicy({ ...policyOf(system, deployment.sandbox), allowPlainHttp: deployment.allowInsecureUpstreamHttp }, () => validateStandard(definition.config, system.config, system.path))
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
export function createSystems(checked: readonly CheckedSystem[], host: RegistryHost): { systems: Map<string, SystemEntry>; close(): Promise<void> } {
  const issues: string[] = []
  const entries = new Map<string, SystemEntry>()
  const fetches: UpstreamFetch[] = []
  for (const { system, definition, config } of checked) {
    try {
      const upstream = createUpstreamFetch({
        name: system.name,
        policy: policyOf(system, host.sandbox),
        maxResponseBytes: definition.maxResponseBytes ?? defaultMaxResponseBytes,
        timeoutMs: host.upstreamTimeoutMs,
        ...(host.fetch === undefined ? {} : { base: host.fetch }),
      })
      fetches.push(upstream)
      const instance = definition.create(config, {
        system: system.name,
        log: host.log.child({ system: system.name }),
        clock: host.clock,
        fetch: upstream.fetch,
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
  const close = async () => {
    await Promise.all(fetches.map((f) => f.close()))
  }
  if (issues.length > 0) {
    void close()
    throw new ConfigInvalid(issues)
  }
  return { systems: entries, close }
}

function policyOf(system: SystemConfig, sandbox: boolean): UpstreamPolicy {
  return { allowPrivateNetwork: system.allowPrivateNetwork, allowLoopback: sandbox }
}

function describe(system: SystemConfig, error: unknown): string[] {
  if (error instanceof ConfigInvalid) return error.issues.map((i) => `${system.path}: ${i}`)
  if (error instanceof ConnectorInvalid) return [`${system.path}.type: ${error.message}`]
  if (isLanyardError(error)) return [`${system.path}: ${error.message}`]
  throw error
}
