/**
 * A failure the CLI reports as one line on stderr. `exitCode` 1 for refusals and failures,
 * 2 for usage errors (as commander does for unknown options and missing arguments).
 * The message is shown as is: build it from public text only, never from a token.
 */
export class CliError extends Error {
  readonly exitCode: number
  constructor(message: string, exitCode = 1, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.exitCode = exitCode
  }
}

/** The command line is wrong: missing or conflicting options, a value that does not parse. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2)
  }
}
