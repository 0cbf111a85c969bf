import type { Command } from 'commander'
import { agentClient, agentOptions } from '../agent-client-from-options.js'
import type { AgentOptions } from '../agent-client-from-options.js'
import { emit } from '../cli-context.js'

/**
 * `lanyard token --handle <h> --key <private.jwk>` or `lanyard token --federated-token-file F`:
 * prints a handle token (its purpose). Unbound: a token printed for another process to use
 * cannot be bound to a key that dies with this one.
 */
export function tokenMint(program: Command): void {
  agentOptions(program.command('token').description('as the agent: prove the handle with its key or a platform token and print a handle token'))
    .action(async (options: AgentOptions, command: Command) => {
      const token = await (await agentClient(command, options, { dpop: false })).token()
      emit(command, { access_token: token }, (t) => `${t.access_token}\n`)
    })
}
