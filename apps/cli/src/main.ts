import { CommanderError } from 'commander'
import { CliError, exitCodes } from './cli-error.js'
import { jsonRequested as json } from './output/json.js'
import { createProgram } from './program.js'

/**
 * Entry of the `lanyard` binary (bin/lanyard.js imports it, built or from source). Only commander
 * and the command definitions load at start; each command loads what it needs when it runs.
 * Every exit code is decided here, one per error class (`exitCodes`, docs/cli.md); with --json
 * the error is one JSON object on stderr: `{ "code", "message", "exit_code", "status"? }`.
 */
try {
  await createProgram().parseAsync(process.argv)
} catch (err) {
  process.exitCode = await report(err)
}

interface Reported {
  code: string
  message: string
  exitCode: number
  status?: number
}

async function report(err: unknown): Promise<number> {
  // (1) Commander has already printed its own message (or the help / version) in text.
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) return 0
    if (json()) write({ code: err.code, message: err.message.replace(/^error: /, ''), exitCode: exitCodes.usage })
    return exitCodes.usage
  }
  const reported = await classify(err)
  if (json()) write(reported)
  else process.stderr.write(`error: ${reported.message}\n`)
  if (process.env.LANYARD_DEBUG) console.error(err)
  return reported.exitCode
}

async function classify(err: unknown): Promise<Reported> {
  // (2) Our errors and the SDK's carry public, secret-free messages.
  if (err instanceof CliError) return { code: err.code, message: err.message, exitCode: err.exitCode, ...('status' in err && typeof err.status === 'number' ? { status: err.status } : {}) }
  const { LanyardClientError } = await import('@lanyard/client')
  if (err instanceof LanyardClientError) {
    const status = err.status
    const exitCode =
      status === undefined
        ? err.error === 'network'
          ? exitCodes.unreachable
          : exitCodes.failure
        : status >= 500 || status === 429
          ? exitCodes.unavailable
          : status >= 400
            ? exitCodes.refused
            : exitCodes.failure
    return { code: err.error, message: err.message, exitCode, ...(status === undefined ? {} : { status }) }
  }
  // (3) The broker's typed errors (`lanyard serve`): an invalid configuration is its own class.
  const code = typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : undefined
  const message = err instanceof Error ? err.message : String(err)
  if (code === 'ERR_CONFIG_INVALID') return { code, message, exitCode: exitCodes.config }
  // (4) Anything else is a bug or an environment failure: its message, not its stack.
  return { code: code?.startsWith('ERR_') ? code : 'failed', message, exitCode: exitCodes.failure }
}


function write(r: Reported): void {
  process.stderr.write(`${JSON.stringify({ code: r.code, message: r.message, exit_code: r.exitCode, ...(r.status === undefined ? {} : { status: r.status }) })}\n`)
}
