import { Command, Option } from 'commander'
import { agentsCreate } from './commands/agents-create.js'
import { agentsList } from './commands/agents-list.js'
import { agentsResume } from './commands/agents-resume.js'
import { agentsRevoke } from './commands/agents-revoke.js'
import { agentsShow } from './commands/agents-show.js'
import { agentsSuspend } from './commands/agents-suspend.js'
import { auditShow } from './commands/audit-show.js'
import { bindingsCreate } from './commands/bindings-create.js'
import { brokerServe } from './commands/broker-serve.js'
import { credentialExchange } from './commands/credential-exchange.js'
import { demoRun } from './commands/demo-run.js'
import { grantsList } from './commands/grants-list.js'
import { keysAdd } from './commands/keys-add.js'
import { tokenMint } from './commands/token-mint.js'
import { whoisLookup } from './commands/whois-lookup.js'

/**
 * The `lanyard` command tree. Commander errors are thrown, not exited on (exitOverride), so
 * main.ts decides every exit code in one place.
 */
export function createProgram(): Command {
  const program = new Command('lanyard')
    .description('Lanyard: one handle per agent, short-lived credentials everywhere, one revoke')
    .addOption(new Option('--url <url>', 'broker URL').env('LANYARD_URL').default('http://127.0.0.1:7420'))
    .addOption(new Option('--token <token>', 'admin bearer (else ./.lanyard/admin-token)').env('LANYARD_ADMIN_TOKEN'))
    .option('--json', 'print JSON instead of tables')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')

  brokerServe(program)
  const agents = program.command('agents').description('create, list, show, suspend, resume and revoke agents')
  agentsCreate(agents)
  agentsList(agents)
  agentsShow(agents)
  agentsSuspend(agents)
  agentsResume(agents)
  agentsRevoke(agents)
  keysAdd(program.command('keys').description("manage the keys agents prove their handle with"))
  bindingsCreate(program)
  grantsList(program)
  auditShow(program)
  whoisLookup(program)
  tokenMint(program)
  credentialExchange(program)
  demoRun(program)
  return program
}
