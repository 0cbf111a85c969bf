import type { Command } from 'commander'
import { statusCommand } from '../status-command.js'

/** `lanyard agents resume <handle> --reason <text>` */
export function agentsResume(agents: Command): void {
  statusCommand(agents, 'resume', 'resume a suspended agent')
}
