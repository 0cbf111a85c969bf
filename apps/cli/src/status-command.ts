import type { Command } from 'commander'
import type { Agent } from './admin-wire.js'
import { adminApi, emit } from './cli-context.js'
import { handlePath } from './option-parsers.js'
import { agentDetails } from './commands/agents-show.js'

/** `agents suspend|resume <handle> --reason <text>`: same shape, different verb. */
export function statusCommand(agents: Command, verb: 'suspend' | 'resume', description: string): void {
  agents
    .command(verb)
    .description(description)
    .argument('<handle>')
    .requiredOption('--reason <text>', 'why (kept in the audit chain)')
    .action(async (handle: string, options: { reason: string }, command: Command) => {
      const agent = await adminApi(command).post<Agent>(`${handlePath(handle)}/${verb}`, { reason: options.reason })
      emit(command, agent, (a) => `${verb === 'suspend' ? 'suspended' : 'resumed'} agent ${a.handle}\n${agentDetails(a)}`)
    })
}
