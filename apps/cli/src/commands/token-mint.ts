import type { Command } from 'commander'
import { agentClient, agentOptions } from '../agent-client-from-options.js'
import type { AgentOptions } from '../agent-client-from-options.js'
import { emit } from '../cli-context.js'

/** `lanyard token --handle <h> --key <private.jwk>`: prints a handle token (its purpose). */
export function tokenMint(program: Command): void {
  agentOptions(program.command('token').description('as the agent: prove the handle with its key and print a handle token'))
    .action(async (options: AgentOptions, command: Command) => {
      const token = await (await agentClient(command, options)).token()
      emit(command, { access_token: token }, (t) => `${t.access_token}\n`)
    })
}
