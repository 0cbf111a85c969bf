import type { Command } from 'commander'
import { Option } from 'commander'
import type { Grant } from '../admin-wire.js'
import { adminApi, emit } from '../cli-context.js'
import { handlePath } from '../option-parsers.js'
import { formatTable } from '../output/table.js'

/**
 * `lanyard grants [list] <handle> [--status s]`: every credential issued to the agent. `list`
 * is the default subcommand of `grants`, so `lanyard grants <handle>` still works.
 */
export function grantsList(grants: Command): void {
  grants
    .command('list', { isDefault: true })
    .description('list the grants (issued credentials) of an agent; the default: `grants <handle>`')
    .argument('<handle>')
    .addOption(new Option('--status <status>', 'only grants in this status').choices(['pending', 'live', 'failed', 'revoked', 'expired']))
    .action(async (handle: string, options: { status?: string }, command: Command) => {
      const result = await adminApi(command).get<{ grants: Grant[] }>(`${handlePath(handle)}/grants`, { status: options.status })
      emit(command, result, ({ grants: rows }) => formatTable(grantColumns, rows, { empty: `no grants for ${handle}` }))
    })
}

const grantColumns = [
  { header: 'id', value: (g: Grant) => g.id },
  { header: 'system', value: (g: Grant) => g.system },
  { header: 'scopes', value: (g: Grant) => g.scopes },
  { header: 'status', value: (g: Grant) => g.status },
  { header: 'created', value: (g: Grant) => g.created_at },
  { header: 'expires', value: (g: Grant) => g.expires_at },
  { header: 'ended', value: (g: Grant) => g.ended_at },
]
