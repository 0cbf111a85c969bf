import { readFile } from 'node:fs/promises'
import { createAgentClient } from '@lanyard/client'
import type { AgentClient } from '@lanyard/client'
import type { Command } from 'commander'
import type { JWK } from 'jose'
import { globalOptions } from './cli-context.js'
import { CliError } from './cli-error.js'

export interface AgentOptions {
  handle: string
  key: string
}

/** `--handle <h> --key <private.jwk>`, shared by the agent-side commands. */
export function agentOptions(command: Command): Command {
  return command.requiredOption('--handle <handle>', "the agent's handle").requiredOption('--key <path>', "the agent's private JWK (from `keys add --generate`)")
}

/** The SDK client the agent-side commands use, against --url. */
export async function agentClient(command: Command, options: AgentOptions): Promise<AgentClient> {
  let jwk: JWK
  try {
    jwk = JSON.parse(await readFile(options.key, 'utf8')) as JWK
  } catch (err) {
    throw new CliError(`cannot read a JWK from ${options.key}: ${(err as NodeJS.ErrnoException).code ?? 'not JSON'}`)
  }
  try {
    return createAgentClient({ brokerUrl: globalOptions(command).url, handle: options.handle, privateKey: jwk })
  } catch (err) {
    throw new CliError(`${options.key}: ${(err as Error).message}`)
  }
}
