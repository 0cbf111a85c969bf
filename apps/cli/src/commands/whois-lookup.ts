import type { Command } from 'commander'
import type { WhoisMatch } from '../admin-wire.js'
import { adminApi, emit } from '../cli-context.js'
import { UsageError } from '../cli-error.js'
import { formatTable } from '../output/table.js'

/**
 * `lanyard whois --<key> <value>`: which agent holds the credential upstream logs show.
 * Keys are the systems' (GET /v1/systems `whois_keys`), so they are not declared here:
 * `--github-hashed-token X` asks `github_hashed_token=X`; `--key k --value v` asks `k=v`.
 */
export function whoisLookup(program: Command): void {
  program
    .command('whois')
    .description('find the agent behind an upstream reference (e.g. --github-hashed-token, --grant-id)')
    .usage('(--<key> <value> | --key <key> --value <value>)')
    .option('--key <key>', 'a whois key, as GET /v1/systems lists it')
    .option('--value <value>', 'the value to look up')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async (options: { key?: string; value?: string }, command: Command) => {
      const query = whoisQuery(command.args, options)
      const result = await adminApi(command).get<{ matches: WhoisMatch[] }>('/v1/whois', query)
      const asked = Object.entries(query).map(([k, v]) => `${k}=${v}`).join(' ')
      emit(command, result, ({ matches }) => formatTable(matchColumns, matches, { empty: `no agent holds ${asked}` }))
    })
}

const matchColumns = [
  { header: 'handle', value: (m: WhoisMatch) => m.handle },
  { header: 'owner', value: (m: WhoisMatch) => m.owner },
  { header: 'grant', value: (m: WhoisMatch) => m.grant_id },
  { header: 'system', value: (m: WhoisMatch) => m.system },
  { header: 'scopes', value: (m: WhoisMatch) => m.scopes },
  { header: 'status', value: (m: WhoisMatch) => m.status },
  { header: 'created', value: (m: WhoisMatch) => m.created_at },
  { header: 'expires', value: (m: WhoisMatch) => m.expires_at },
]

/** The one `key=value` of the look-up, from `--some-key value`, `--some-key=value` or `--key/--value`. */
export function whoisQuery(args: readonly string[], options: { key?: string; value?: string }): Record<string, string> {
  const query: Record<string, string> = {}
  if (options.key !== undefined || options.value !== undefined) {
    if (!options.key || options.value === undefined) throw new UsageError('--key and --value go together')
    query[options.key] = options.value
  }
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string
    const match = /^--([a-z0-9][a-z0-9-]*)(?:=(.*))?$/i.exec(arg)
    if (!match) throw new UsageError(`unexpected argument "${arg}"; expected --<key> <value>`)
    const value = match[2] ?? args[++i]
    if (value === undefined || (match[2] === undefined && value.startsWith('--'))) throw new UsageError(`${arg} needs a value`)
    query[(match[1] as string).toLowerCase().replaceAll('-', '_')] = value
  }
  const keys = Object.keys(query)
  if (keys.length !== 1) throw new UsageError(keys.length === 0 ? 'whois needs one --<key> <value> (e.g. --github-hashed-token <hash>, --grant-id <id>)' : `whois takes one key, got ${keys.join(', ')}`)
  return query
}
