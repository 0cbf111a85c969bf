import type { ConnectorDefinition, ConnectorInstance } from '../ports/connector.js'

/** A configured system: its name in lanyard.yaml, its connector and the live instance. */
export interface SystemEntry {
  readonly name: string
  readonly type: string
  readonly definition: ConnectorDefinition<unknown, unknown>
  readonly instance: ConnectorInstance<unknown>
}

export type Systems = ReadonlyMap<string, SystemEntry>
