import { createLocalMutex, systemClock } from '@lanyard/core'
import type { BrokerSigner, ConnectorHost, Logger } from '@lanyard/core'

export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error'
  readonly fields: Record<string, unknown>
  readonly message?: string
}

/** One request made through `host.fetch`: method, URL and whether its signal was already aborted. No headers or body. */
export interface FetchRecord {
  readonly method: string
  readonly url: string
  readonly aborted: boolean
}

/** A host that keeps every log record and request, so the kit can check that none holds a secret or outran an abort. */
export interface RecordingHost extends ConnectorHost {
  readonly logs: readonly LogRecord[]
  readonly requests: readonly FetchRecord[]
}

const noSigner: BrokerSigner = {
  issuer: 'https://broker.invalid',
  signIdToken: () => Promise.reject(new Error('no signer in this test: pass host.signer in setup')),
}

/**
 * The host the kit lends a connector: global fetch (recorded), the system clock, a silent
 * logger that records, a signer that throws "no signer in this test" unless `overrides.signer` is
 * given, and a mutex of this process (pass one to share it between instances, as replicas
 * share the deployment's). A `log` override still receives every record.
 */
export function createTestHost(overrides: Partial<ConnectorHost> = {}): RecordingHost {
  const logs: LogRecord[] = []
  const requests: FetchRecord[] = []
  const fetchUpstream = overrides.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const recordingFetch: typeof fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET')
    requests.push({ method, url, aborted: (init?.signal ?? (input instanceof Request ? input.signal : undefined))?.aborted ?? false })
    return fetchUpstream(input, init)
  }
  const forward = overrides.log
  const record = (level: LogRecord['level']) => (fields: Record<string, unknown>, message?: string) => {
    logs.push(message === undefined ? { level, fields } : { level, fields, message })
    forward?.[level](fields, message)
  }
  const log: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') }
  return {
    // Members the host gains later (or a sandbox switch) pass through untouched.
    ...overrides,
    system: overrides.system ?? 'conformance',
    clock: overrides.clock ?? systemClock,
    fetch: recordingFetch,
    signer: overrides.signer ?? noSigner,
    mutex: overrides.mutex ?? createLocalMutex(),
    log,
    logs,
    requests,
  }
}
