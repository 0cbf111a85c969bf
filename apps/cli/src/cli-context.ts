import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import { createAdminApi } from './admin-api.js'
import type { AdminApi } from './admin-api.js'
import { CliError } from './cli-error.js'
import { formatJson } from './output/json.js'

export interface GlobalOptions {
  url: string
  json: boolean
  token?: string
}

/** The program-level options, wherever on the line they were given. */
export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>()
}

/**
 * The admin API, with the bearer from (1) --token, (2) LANYARD_ADMIN_TOKEN (commander's env
 * binding of --token), or (3) the file `lanyard serve` writes on first start,
 * `$LANYARD_DATA_DIR/admin-token` or `./.lanyard/admin-token`. At --url, unless `url` says otherwise.
 */
export function adminApi(command: Command, url = globalOptions(command).url): AdminApi {
  const { token } = globalOptions(command)
  return createAdminApi({ url, token: token ?? tokenFromDataDir() })
}

function tokenFromDataDir(): string {
  const path = join(process.env.LANYARD_DATA_DIR ?? '.lanyard', 'admin-token')
  let token: string
  try {
    token = readFileSync(path, 'utf8').trim()
  } catch {
    throw new CliError(`no admin token: pass --token, set LANYARD_ADMIN_TOKEN, or run where \`lanyard serve\` keeps its data (${path} not found)`)
  }
  if (token === '') throw new CliError(`no admin token: ${path} is empty`)
  return token
}

/** `--json`: the value as JSON; otherwise the human form. */
export function emit<T>(command: Command, value: T, human: (value: T) => string): void {
  process.stdout.write(globalOptions(command).json ? formatJson(value) : human(value))
}
