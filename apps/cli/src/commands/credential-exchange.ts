import type { Command } from 'commander'
import { agentClient, agentOptions } from '../agent-client-from-options.js'
import type { AgentOptions } from '../agent-client-from-options.js'
import { formatJson } from '../output/json.js'

/**
 * `lanyard exchange --handle <h> --key <private.jwk> --system <name> [--scope "a b"]`: prints
 * the credential as JSON (its purpose), whatever --json says: the RFC 8693 response with the
 * system's members (e.g. aws_credentials) and expires_at.
 */
export function credentialExchange(program: Command): void {
  agentOptions(program.command('exchange').description('as the agent: exchange a handle token for a credential of one system'))
    .requiredOption('--system <name>', 'the system, e.g. github-acme')
    .option('--scope <scopes>', 'space-separated scopes (default: the binding ceiling)')
    .action(async (options: AgentOptions & { system: string; scope?: string }, command: Command) => {
      const client = await agentClient(command, options)
      const { expiresAt, ...credential } = await client.exchange({ system: options.system, scope: options.scope })
      process.stdout.write(formatJson({ ...credential, expires_at: expiresAt.toISOString() }))
    })
}
