/**
 * The CLI's exit codes, one per error class (docs/cli.md). Scripts branch on these: they never
 * change meaning.
 */
export const exitCodes = {
  /** Anything else: a refusal by the CLI itself, a file it cannot read, a bug. */
  failure: 1,
  /** The command line is wrong. */
  usage: 2,
  /** The configuration (lanyard.yaml, its secrets) is invalid. */
  config: 3,
  /** No answer from the broker: not running, wrong --url, network down. */
  unreachable: 4,
  /** The broker answered and refused (4xx other than 429). */
  refused: 5,
  /** The broker answered that it cannot now (5xx, 429): retrying later may work. */
  unavailable: 6,
  /** Something checked does not verify: an audit chain, a receipt, a signed statement. */
  verification: 7,
} as const

/**
 * A failure the CLI reports as one line on stderr (with --json, one JSON object), with a stable
 * `code` and its class's exit code. The message is shown as is: build it from public text only,
 * never from a token.
 */
export class CliError extends Error {
  readonly exitCode: number
  readonly code: string
  constructor(message: string, exitCode: number = exitCodes.failure, options?: ErrorOptions & { code?: string }) {
    super(message, options)
    this.name = new.target.name
    this.exitCode = exitCode
    this.code = options?.code ?? 'failed'
  }
}

/** The command line is wrong: missing or conflicting options, a value that does not parse. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, exitCodes.usage, { code: 'usage' })
  }
}

/** Something checked does not verify (exit 7): the message says what and where. */
export class VerificationFailed extends CliError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, exitCodes.verification, { ...options, code: 'verification_failed' })
  }
}

/** No answer from the broker at `origin` (exit 4). */
export class BrokerUnreachable extends CliError {
  constructor(message: string) {
    super(message, exitCodes.unreachable, { code: 'broker_unreachable' })
  }
}

/**
 * The broker answered non-2xx: refused (4xx, exit 5) or unavailable (5xx and 429, exit 6).
 * `code` is the broker's stable code (problem `code`, else OAuth `error`), else `http_<status>`.
 */
export class BrokerAnswered extends CliError {
  readonly status: number
  constructor(message: string, status: number, code: string | undefined) {
    super(message, status >= 500 || status === 429 ? exitCodes.unavailable : exitCodes.refused, { code: code ?? `http_${status}` })
    this.status = status
  }
}
