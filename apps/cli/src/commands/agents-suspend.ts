import type { Command } from 'commander'
import { statusCommand } from '../status-command.js'

/** `lanyard agents suspend <handle> --reason <text>` */
export function agentsSuspend(agents: Command): void {
  statusCommand(agents, 'suspend', 'suspend an agent: nothing new is issued to it until it is resumed')
}
