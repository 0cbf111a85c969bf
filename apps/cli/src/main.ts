import { LanyardClientError } from '@lanyard/client'
import { CommanderError } from 'commander'
import { CliError } from './cli-error.js'
import { createProgram } from './program.js'

/**
 * Entry of the `lanyard` binary (bin/lanyard.js runs it with tsx). Exit codes: 0 success,
 * 1 a refusal or failure (one line on stderr), 2 a usage error.
 */
try {
  await createProgram().parseAsync(process.argv)
} catch (err) {
  process.exitCode = report(err)
}

function report(err: unknown): number {
  // (1) Commander has already printed its own message (or the help / version).
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2
  // (2) Our errors and the SDK's carry public, secret-free messages.
  if (err instanceof CliError || err instanceof LanyardClientError) {
    process.stderr.write(`error: ${err.message}\n`)
    return err instanceof CliError ? err.exitCode : 1
  }
  // (3) Anything else is a bug or an environment failure: its message, not its stack.
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`)
  if (process.env.LANYARD_DEBUG) console.error(err)
  return 1
}
