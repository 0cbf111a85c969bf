import type { Command } from 'commander'
import type { Agent } from '../admin-wire.js'
import { adminApi, emit } from '../cli-context.js'
import { handlePath } from '../option-parsers.js'
import { agentDetails } from './agents-show.js'

/** `lanyard agents resume <handle> --reason <text>` */
export function agentsResume(agents: Command): void {
  agents
    .command('resume')
    .description('resume a suspended agent')
    .argument('<handle>')
    .requiredOption('--reason <text>', 'why (kept in the audit chain)')
    .action(async (handle: string, options: { reason: string }, command: Command) => {
      const agent = await adminApi(command).post<Agent>(`${handlePath(handle)}/resume`, { reason: options.reason })
      emit(command, agent, (a) => `resumed agent ${a.handle}\n${agentDetails(a)}`)
    })
}
