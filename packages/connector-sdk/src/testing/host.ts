import { systemClock } from '@lanyard/core'
import type { BrokerSigner, ConnectorHost, Logger } from '@lanyard/core'

export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error'
  readonly fields: Record<string, unknown>
  readonly message?: string
}

/** A host whose logger keeps every record, so the kit can check that none holds a secret. */
export interface RecordingHost extends ConnectorHost {
  readonly logs: readonly LogRecord[]
}

const noSigner: BrokerSigner = {
  issuer: 'https://broker.invalid',
  signIdToken: () => Promise.reject(new Error('no signer in this test: pass host.signer in setup')),
}

/**
 * The host the kit lends a connector: global fetch, the system clock, a silent logger that
 * records, and a signer that throws "no signer in this test" unless `overrides.signer` is
 * given. A `log` override still receives every record.
 */
export function createTestHost(overrides: Partial<ConnectorHost> = {}): RecordingHost {
  const logs: LogRecord[] = []
  const forward = overrides.log
  const record = (level: LogRecord['level']) => (fields: Record<string, unknown>, message?: string) => {
    logs.push(message === undefined ? { level, fields } : { level, fields, message })
    forward?.[level](fields, message)
  }
  const log: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') }
  return {
    system: overrides.system ?? 'conformance',
    clock: overrides.clock ?? systemClock,
    fetch: overrides.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    signer: overrides.signer ?? noSigner,
    log,
    logs,
  }
}
