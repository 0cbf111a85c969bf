import type { Command } from 'commander'
import type { Agent, AgentDetails, AgentKey, Binding } from '../admin-wire.js'
import { adminApi, emit } from '../cli-context.js'
import { handlePath } from '../option-parsers.js'
import { formatDetails, formatTable } from '../output/table.js'

/** `lanyard agents show <handle>`: the agent, its keys and its bindings. */
export function agentsShow(agents: Command): void {
  agents
    .command('show')
    .description('show an agent with its keys and bindings')
    .argument('<handle>')
    .action(async (handle: string, _options: unknown, command: Command) => {
      const agent = await adminApi(command).get<AgentDetails>(handlePath(handle))
      emit(command, agent, (a) => [agentDetails(a), keysSection(a.keys ?? []), bindingsSection(a.bindings ?? [])].join('\n'))
    })
}

/** The agent's own fields, one per line. */
export function agentDetails(agent: Agent): string {
  const labels = Object.entries(agent.labels ?? {}).map(([k, v]) => `${k}=${v}`)
  return formatDetails([
    ['handle', agent.handle],
    ['owner', agent.owner],
    ['status', agent.status_reason ? `${agent.status} (${agent.status_reason})` : agent.status],
    ['tier', agent.tier],
    ['generation', agent.generation],
    ['labels', labels],
    ['created', agent.created_at],
    ['updated', agent.updated_at],
  ])
}

function keysSection(keys: AgentKey[]): string {
  if (keys.length === 0) return 'keys: none\n'
  return `keys:\n${formatTable(
    [
      { header: 'kid', value: (k: AgentKey) => k.kid },
      { header: 'alg', value: (k: AgentKey) => k.alg },
      { header: 'created', value: (k: AgentKey) => k.created_at },
    ],
    keys,
  )}`
}

function bindingsSection(bindings: Binding[]): string {
  if (bindings.length === 0) return 'bindings: none\n'
  return `bindings:\n${formatTable(bindingColumns, bindings)}`
}

export const bindingColumns = [
  { header: 'id', value: (b: Binding) => b.id },
  { header: 'system', value: (b: Binding) => b.system },
  { header: 'ceiling', value: (b: Binding) => b.ceiling },
  { header: 'min tier', value: (b: Binding) => b.min_tier },
  { header: 'target', value: (b: Binding) => b.target },
]
