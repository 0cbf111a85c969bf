/** The error catalogue: upstreams, the store, the audit log, configuration and connectors. */
import { LanyardError, type LanyardErrorOptions } from './lanyard-error.js'

/** The upstream answered and said no. Final: retrying the same request will not help. */
export class UpstreamRefused extends LanyardError {
  override code = 'ERR_UPSTREAM_REFUSED' as const
  readonly system: string
  readonly reason: string
  constructor(system: string, reason: string, options?: LanyardErrorOptions) {
    super(`system "${system}" refused the request: ${reason}`, options)
    this.system = system
    this.reason = reason
  }
}

export interface UpstreamUnavailableOptions extends LanyardErrorOptions {
  /**
   * What the upstream answered, in the connector's words, safe to show an admin (`HTTP 429
   * slow_down`): no token, key or body. Appended to the message, so a task that ends `failed`
   * records it.
   */
  answer?: string
  /** The upstream's `Retry-After` (seconds or HTTP date), as a delay from now: no retry before. */
  retryAfterMs?: number
}

/** The upstream could not be reached or failed transiently (429, 503 included). Retryable. */
export class UpstreamUnavailable extends LanyardError {
  override code = 'ERR_UPSTREAM_UNAVAILABLE' as const
  readonly system: string
  readonly answer?: string
  readonly retryAfterMs?: number
  constructor(system: string, options?: UpstreamUnavailableOptions) {
    super(`system "${system}" is unavailable${options?.answer === undefined ? '' : `: ${options.answer}`}`, options)
    this.system = system
    if (options?.answer !== undefined) this.answer = options.answer
    if (options?.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs
  }
}

export class StoreUnavailable extends LanyardError {
  override code = 'ERR_STORE_UNAVAILABLE' as const
  constructor(options?: LanyardErrorOptions) {
    super('the store is unavailable', options)
  }
}

export class AuditUnavailable extends LanyardError {
  override code = 'ERR_AUDIT_UNAVAILABLE' as const
  constructor(options?: LanyardErrorOptions) {
    super('the audit log is unavailable', options)
  }
}

/** Configuration refused at start. `issues` lists every problem, each naming its field path. */
export class ConfigInvalid extends LanyardError {
  override code = 'ERR_CONFIG_INVALID' as const
  readonly issues: readonly string[]
  constructor(issues: readonly string[], options?: LanyardErrorOptions) {
    super(`configuration is invalid:\n  - ${issues.join('\n  - ')}`, options)
    this.issues = issues
  }
}

/** A connector plugin is not a valid ConnectorDefinition. */
export class ConnectorInvalid extends LanyardError {
  override code = 'ERR_CONNECTOR_INVALID' as const
  readonly connector: string
  readonly reason: string
  constructor(connector: string, reason: string, options?: LanyardErrorOptions) {
    super(`connector "${connector}" is invalid: ${reason}`, options)
    this.connector = connector
    this.reason = reason
  }
}

export class InternalFailure extends LanyardError {
  override code = 'ERR_INTERNAL' as const
  constructor(options?: LanyardErrorOptions) {
    super('internal error', options)
  }
}

export const infrastructureErrors = [UpstreamRefused, UpstreamUnavailable, StoreUnavailable, AuditUnavailable, ConfigInvalid, ConnectorInvalid, InternalFailure] as const
