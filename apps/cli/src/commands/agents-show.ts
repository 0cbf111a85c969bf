import type { Command } from 'commander'
import type { Agent, AgentDetails, AgentKey, Binding, Trust } from '../admin-wire.js'
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
      emit(command, agent, (a) => [agentDetails(a), ...(a.trust === undefined ? [] : [trustSection(a.trust)]), keysSection(a.keys ?? []), bindingsSection(a.bindings ?? [])].join('\n'))
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

/** Earned trust (#15): the tier, why, what the next promotion needs, the incidents, the caps. */
function trustSection(trust: Trust): string {
  const next = trust.next_promotion
  return `trust:\n${formatDetails([
    ['tier', `${trust.tier} since ${trust.since}`],
    ['why', trust.reason],
    ['record', `${trust.counters.grants} grants, ${trust.counters.approvals_granted} approved, ${trust.counters.incidents} incidents at this tier`],
    ['next', next === null ? 'none (top of the ladder; tier 3 is set by an admin)' : next.missing.length === 0 ? `tier ${next.to} at the next grant` : `tier ${next.to} needs ${next.missing.join('; ')}`],
    ['incidents', trust.incidents.last === undefined ? `${trust.incidents.total}` : `${trust.incidents.total}, last ${trust.incidents.last.at} ${trust.incidents.last.rule}: ${trust.incidents.last.reason}`],
    ['caps', `max ttl ${trust.caps.max_ttl_seconds ?? 'broker default'} s, rate ${trust.caps.exchange_rate === null ? 'broker default' : `${trust.caps.exchange_rate.ratePerSecond}/s burst ${trust.caps.exchange_rate.burst}`}`],
  ])}`
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
