import { CommanderError } from 'commander'
import { CliError } from './cli-error.js'
import { createProgram } from './program.js'

/**
 * Entry of the `lanyard` binary (bin/lanyard.js imports it, built or from source). Only commander
 * and the command definitions load at start; each command loads what it needs when it runs. Exit codes: 0 success,
 * 1 a refusal or failure (one line on stderr), 2 a usage error.
 */
try {
  await createProgram().parseAsync(process.argv)
} catch (err) {
  process.exitCode = await report(err)
}

async function report(err: unknown): Promise<number> {
  // (1) Commander has already printed its own message (or the help / version).
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2
  const { LanyardClientError } = await import('@lanyard/client')
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
