import type { Command } from 'commander'
import { BrokerAnswered, exitCodes } from '../cli-error.js'
import { agentClient, agentOptions } from '../agent-client-from-options.js'
import type { AgentOptions } from '../agent-client-from-options.js'
import { scopeList, scopeSeparators } from '../option-parsers.js'
import { formatJson } from '../output/json.js'

interface ExchangeOptions extends AgentOptions {
  system: string
  scope?: string[]
  reason?: string
  approvalId?: string
  wait: boolean
}

/**
 * `lanyard exchange --handle <h> --key <private.jwk> --system <name> [--scope a,b] [--reason r]`:
 * prints the credential as JSON (its purpose), whatever --json says: the RFC 8693 response with
 * the system's members (e.g. aws_credentials) and expires_at. When the binding asks a person
 * first, it says so on stderr and waits for the decision (--no-wait: exits 5, refused for now, with the id).
 */
export function credentialExchange(program: Command): void {
  agentOptions(program.command('exchange').description('as the agent: exchange a handle token for a credential of one system'))
    .requiredOption('--system <name>', 'the system, e.g. github-acme')
    .option('--scope <scopes>', 'scopes to ask for (commas or spaces, or repeat the option; default: the binding ceiling)', scopeList)
    .option('--reason <text>', 'shown to the approver when this exchange needs an approval (at most 500 characters)')
    .option('--approval-id <id>', 'spend this approval (from an earlier approval_required)')
    .option('--no-wait', 'when an approval is required, print its id and exit 5 instead of waiting')
    .action(async (options: ExchangeOptions, command: Command) => {
      const client = await agentClient(command, options)
      const { ApprovalRequired, InvalidScope } = await import('@lanyard/client')
      const request = { system: options.system, ...(options.scope === undefined ? {} : { scope: options.scope }), ...(options.reason === undefined ? {} : { reason: options.reason }) }
      let exchanged
      try {
        exchanged = options.approvalId === undefined ? await client.exchange(request) : await client.waitForApproval(options.approvalId, request)
      } catch (error) {
        // What a scope list looks like, and where the allowed ones are listed.
        if (error instanceof InvalidScope) throw new BrokerAnswered(`${error.message}; expected scopes within the binding's ceiling (\`lanyard agents show ${options.handle ?? "<handle>"}\` lists it), separated by ${scopeSeparators}`, error.status ?? 400, 'invalid_scope')
        if (!(error instanceof ApprovalRequired)) throw error
        process.stderr.write(`approval required: request ${error.approvalId} waits for a person until ${error.expiresAt.toISOString()}\n  decide: lanyard approvals approve ${error.approvalId} --as <approver-email>   (or deny)\n`)
        if (!options.wait) {
          process.stdout.write(formatJson({ error: 'approval_required', approval_id: error.approvalId, expires_at: error.expiresAt.toISOString(), interval: error.interval, approval_uri: error.approvalUri }))
          process.exitCode = exitCodes.refused
          return
        }
        process.stderr.write(`waiting for the decision (polling every ${error.interval} s; Ctrl-C stops waiting, the request stays)...\n`)
        exchanged = await client.waitForApproval(error.approvalId, request)
        process.stderr.write(`approved: exchanged with approval ${error.approvalId}\n`)
      }
      const { expiresAt, ...credential } = exchanged
      process.stdout.write(formatJson({ ...credential, expires_at: expiresAt.toISOString() }))
    })
}
