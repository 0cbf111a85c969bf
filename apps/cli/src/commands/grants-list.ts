import type { Command } from 'commander'
import { Option } from 'commander'
import type { Grant } from '../admin-wire.js'
import { adminApi, emit } from '../cli-context.js'
import { handlePath } from '../option-parsers.js'
import { formatTable } from '../output/table.js'

/** `lanyard grants <handle> [--status s]`: every credential issued to the agent. */
export function grantsList(program: Command): void {
  program
    .command('grants')
    .description('list the grants (issued credentials) of an agent')
    .argument('<handle>')
    .addOption(new Option('--status <status>', 'only grants in this status').choices(['pending', 'live', 'failed', 'revoked', 'expired']))
    .action(async (handle: string, options: { status?: string }, command: Command) => {
      const result = await adminApi(command).get<{ grants: Grant[] }>(`${handlePath(handle)}/grants`, { status: options.status })
      emit(command, result, ({ grants }) => formatTable(grantColumns, grants, { empty: `no grants for ${handle}` }))
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
