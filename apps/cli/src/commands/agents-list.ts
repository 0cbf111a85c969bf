import type { Command } from 'commander'
import { Option } from 'commander'
import type { Agent } from '../admin-wire.js'
import { adminApi, emit } from '../cli-context.js'
import { formatTable } from '../output/table.js'

/** Pages of this size are fetched until the broker gives no `next`. */
const PAGE_SIZE = 200

/** `lanyard agents list [--owner email] [--status s]`: every matching agent, all pages. */
export function agentsList(agents: Command): void {
  agents
    .command('list')
    .description('list agents')
    .option('--owner <email>', 'only agents of this owner')
    .addOption(new Option('--status <status>', 'only agents in this status').choices(['active', 'suspended', 'revoked']))
    .action(async (options: { owner?: string; status?: string }, command: Command) => {
      const api = adminApi(command)
      const all: Agent[] = []
      let after: string | undefined
      do {
        const page = await api.get<{ agents: Agent[]; next?: string }>('/v1/agents', { owner: options.owner, status: options.status, after, limit: String(PAGE_SIZE) })
        all.push(...page.agents)
        after = page.next
      } while (after)
      emit(command, { agents: all }, ({ agents: rows }) => formatTable(agentColumns, rows, { empty: 'no agents' }))
    })
}

const agentColumns = [
  { header: 'handle', value: (a: Agent) => a.handle },
  { header: 'owner', value: (a: Agent) => a.owner },
  { header: 'status', value: (a: Agent) => a.status },
  { header: 'tier', value: (a: Agent) => a.tier },
  { header: 'gen', value: (a: Agent) => a.generation },
  { header: 'created', value: (a: Agent) => a.created_at },
]
