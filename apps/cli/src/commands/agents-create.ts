import type { Command } from 'commander'
import type { Agent } from '../admin-wire.js'
import { adminApi, emit } from '../cli-context.js'
import { collectLabel, integerIn } from '../option-parsers.js'
import { agentDetails } from './agents-show.js'

/** `lanyard agents create <handle> --owner <email> [--tier n] [--label k=v ...]` */
export function agentsCreate(agents: Command): void {
  agents
    .command('create')
    .description('create an agent: a handle with an accountable owner')
    .argument('<handle>', 'e.g. deploy-bot@agents.acme.dev')
    .requiredOption('--owner <email>', 'accountable person or team')
    .option('--tier <n>', 'trust tier, 0-3', integerIn(0, 3))
    .option('--label <key=value>', 'label (repeatable)', collectLabel)
    .action(async (handle: string, options: { owner: string; tier?: number; label?: Record<string, string> }, command: Command) => {
      const agent = await adminApi(command).post<Agent>('/v1/agents', { handle, owner: options.owner, tier: options.tier, labels: options.label })
      emit(command, agent, (a) => `created agent ${a.handle}\n${agentDetails(a)}`)
    })
}
