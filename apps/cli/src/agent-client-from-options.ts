import { readFile } from 'node:fs/promises'
import type { AgentClient } from '@lanyard/client'
import type { Command } from 'commander'
import type { JWK } from 'jose'
import { globalOptions } from './cli-context.js'
import { CliError } from './cli-error.js'

export interface AgentOptions {
  handle?: string
  key?: string
  federatedTokenFile?: string
}

/** `--handle <h> --key <private.jwk>`, or `--federated-token-file <F>`: shared by the agent-side commands. */
export function agentOptions(command: Command): Command {
  return command
    .option('--handle <handle>', "the agent's handle (with --key; with a platform token, to pick one of several agents)")
    .option('--key <path>', "the agent's private JWK (from `keys add --generate`)")
    .option('--federated-token-file <path>', 'sign in with the platform token in this file (a projected Kubernetes token, a JWT-SVID), read afresh at each sign-in')
}

/**
 * The SDK client the agent-side commands use, against --url. `dpop: false` for commands whose
 * token leaves the process (a bound token is useless without the in-memory key).
 */
export async function agentClient(command: Command, options: AgentOptions, settings: { dpop?: boolean } = {}): Promise<AgentClient> {
  // Loaded on use: the SDK is not needed to print help (CLI start-up stays under 150 ms).
  const { createAgentClient } = await import('@lanyard/client')
  const brokerUrl = globalOptions(command).url
  const dpop = settings.dpop ?? true
  if ((options.key === undefined) === (options.federatedTokenFile === undefined)) throw new CliError('give either --handle and --key, or --federated-token-file')
  if (options.federatedTokenFile !== undefined) {
    const file = options.federatedTokenFile
    return createAgentClient({
      brokerUrl,
      dpop,
      ...(options.handle === undefined ? {} : { handle: options.handle }),
      federated: async () => {
        try {
          return await readFile(file, 'utf8')
        } catch (err) {
          throw new CliError(`cannot read a platform token from ${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`)
        }
      },
    })
  }
  if (options.handle === undefined) throw new CliError('--handle is required with --key')
  let jwk: JWK
  try {
    jwk = JSON.parse(await readFile(options.key!, 'utf8')) as JWK
  } catch (err) {
    throw new CliError(`cannot read a JWK from ${options.key}: ${(err as NodeJS.ErrnoException).code ?? 'not JSON'}`)
  }
  try {
    return createAgentClient({ brokerUrl, handle: options.handle, privateKey: jwk, dpop })
  } catch (err) {
    throw new CliError(`${options.key}: ${(err as Error).message}`)
  }
}
