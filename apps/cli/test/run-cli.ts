import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const binPath = fileURLToPath(new URL('../bin/lanyard.js', import.meta.url))

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs `node apps/cli/bin/lanyard.js ...args` as a subprocess, as a user would, with only the
 * environment given (plus PATH): no LANYARD_* leaks in from the shell running the tests.
 * `input` is written to its stdin (closed either way).
 */
export function runCli(args: string[], options: { env?: Record<string, string>; cwd?: string; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [binPath, ...args],
      { env: { PATH: process.env.PATH ?? '', LANYARD_CLI_SOURCE: '1', ...options.env }, cwd: options.cwd, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
        resolve({ code, stdout, stderr })
      },
    )
    child.stdin?.end(options.input ?? '')
  })
}
