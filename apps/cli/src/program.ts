import { readFileSync } from 'node:fs'
import { Command, Option } from 'commander'
import { agentsCreate } from './commands/agents-create.js'
import { approvalsDecide } from './commands/approvals-decide.js'
import { approvalsList } from './commands/approvals-list.js'
import { approvalsShow } from './commands/approvals-show.js'
import { agentsList } from './commands/agents-list.js'
import { agentsResume } from './commands/agents-resume.js'
import { agentsRevoke } from './commands/agents-revoke.js'
import { agentsShow } from './commands/agents-show.js'
import { agentsSuspend } from './commands/agents-suspend.js'
import { auditShow } from './commands/audit-show.js'
import { auditVerifyFile } from './commands/audit-verify-file.js'
import { bindingsCreate } from './commands/bindings-create.js'
import { bindingsRemove } from './commands/bindings-remove.js'
import { trustAdd } from './commands/trust-add.js'
import { trustList } from './commands/trust-list.js'
import { trustRemove } from './commands/trust-remove.js'
import { bindingsRevoke } from './commands/bindings-revoke.js'
import { configCheck } from './commands/config-check.js'
import { systemsHealth } from './commands/systems-health.js'
import { systemsList } from './commands/systems-list.js'
import { brokerServe } from './commands/broker-serve.js'
import { credentialExchange } from './commands/credential-exchange.js'
import { demoRun } from './commands/demo-run.js'
import { grantsList } from './commands/grants-list.js'
import { grantsRevoke } from './commands/grants-revoke.js'
import { keysAdd } from './commands/keys-add.js'
import { keysList } from './commands/keys-list.js'
import { keysRemove } from './commands/keys-remove.js'
import { keysRotate } from './commands/keys-rotate.js'
import { keysRotateSigning } from './commands/keys-rotate-signing.js'
import { ownersRevoke } from './commands/owners-revoke.js'
import { adminsCreate } from './commands/admins-create.js'
import { adminsList } from './commands/admins-list.js'
import { adminsRetireBootstrap } from './commands/admins-retire-bootstrap.js'
import { adminsRevoke } from './commands/admins-revoke.js'
import { sandboxRun } from './commands/sandbox-run.js'
import { revocationsShow } from './commands/revocations-show.js'
import { revocationsVerifyReceipt } from './commands/revocations-verify-receipt.js'
import { statementVerify } from './commands/statement-verify.js'
import { tokenMint } from './commands/token-mint.js'
import { webhooksAdd } from './commands/webhooks-add.js'
import { webhooksDeliveries } from './commands/webhooks-deliveries.js'
import { webhooksList } from './commands/webhooks-list.js'
import { webhooksRemove } from './commands/webhooks-remove.js'
import { whoisLookup } from './commands/whois-lookup.js'
import { jsonRequested } from './output/json.js'

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
    .version(cliVersion(), '-V, --version', 'print the version')
    .exitOverride()
    // With --json, main.ts writes commander's errors as JSON instead.
    .configureOutput({ outputError: (text, write) => (jsonRequested() ? undefined : write(text)) })
    .showHelpAfterError(jsonRequested() ? false : '(run with --help for usage)')
    .addHelpText(
      'after',
      `
Revoke, narrowest first (each starts a revocation job; --wait follows it to its receipt's full-dark time):
  lanyard grants revoke <handle> <grant-id> --reason r --wait      one credential
  lanyard bindings revoke <handle> <system> --reason r --wait      everything on one system; the binding ends
  lanyard bindings remove <handle> <system> --wait                 the same, and the binding is deleted
  lanyard keys remove <handle> <kid>                               one key; tokens obtained before stop exchanging
  lanyard agents suspend <handle> --reason r --revoke-grants       stop and cut, reversible
  lanyard agents revoke <handle> --reason r --wait                 the agent, for good
  lanyard owners revoke <owner-email> --reason r --wait            every agent of an owner

Prove it afterwards, offline:
  lanyard revocations show <id> --receipt --json > receipt.json
  lanyard revocations verify-receipt receipt.json [--jwks jwks.json]
  lanyard audit <handle> --format jsonl > events.jsonl
  lanyard audit verify-file events.jsonl --handle <handle>
  lanyard verify-statement statement.jws [--issuer url]            an agent's signed statement, from its handle`,
    )

  brokerServe(program)
  const agents = program.command('agents').description('create, list, show, suspend, resume and revoke agents')
  agentsCreate(agents)
  agentsList(agents)
  agentsShow(agents)
  agentsSuspend(agents)
  agentsResume(agents)
  agentsRevoke(agents)
  ownersRevoke(program.command('owners').description('revoke every agent of an owner at once'))
  const keys = program.command('keys').description("manage the keys agents prove their handle with, and the broker's signing keys")
  keysAdd(keys)
  keysRemove(keys)
  keysRotate(keys)
  keysRotateSigning(keys)
  keysList(keys)
  bindingsCreate(program)
  const bindings = program.command('bindings').description("revoke or remove an agent's binding to one system, cutting its grants there (create one with `bind`)")
  bindingsRevoke(bindings)
  bindingsRemove(bindings)
  // `grants <handle>` and `audit <handle>` keep working: `list` and `show` are the defaults.
  const grants = program.command('grants').usage('[list] <handle> [--status s] | revoke <handle> <grant-id> --reason r').description('list the grants (issued credentials) of an agent, or revoke one')
  grantsList(grants)
  grantsRevoke(grants)
  const audit = program.command('audit').usage('[show] <handle> [--verify] [--format jsonl] | verify-file <events.jsonl> --handle h').description("show and verify an agent's audit chain, or verify an exported one offline")
  auditShow(audit)
  auditVerifyFile(audit)
  const revocations = program.command('revocations').description('follow revocation jobs and verify their signed receipts')
  revocationsShow(revocations)
  revocationsVerifyReceipt(revocations)
  const approvals = program.command('approvals').usage('[list] [--status s] | show <id> [--wait s] | approve|deny <id> --as <email> [--note n]').description('approval requests: what agents wait for a person to decide')
  approvalsList(approvals)
  approvalsShow(approvals)
  approvalsDecide(approvals)
  const trust = program.command('trust').description('which platform tokens (GitHub Actions, Kubernetes, SPIFFE) sign in as an agent')
  trustAdd(trust)
  trustList(trust)
  trustRemove(trust)
  configCheck(program.command('config').description('check a configuration without starting a broker'))
  const systems = program.command('systems').description('the configured systems, and their upstream health')
  systemsList(systems)
  systemsHealth(systems)
  const webhooks = program.command('webhooks').description("relying parties' subscriptions to revocation events, and what was delivered")
  webhooksAdd(webhooks)
  webhooksList(webhooks)
  webhooksRemove(webhooks)
  webhooksDeliveries(webhooks)
  whoisLookup(program)
  statementVerify(program)
  tokenMint(program)
  credentialExchange(program)
  demoRun(program)
  const admins = program.command('admins').description('named admins and their roles; retire the bootstrap token')
  adminsCreate(admins)
  adminsList(admins)
  adminsRevoke(admins)
  adminsRetireBootstrap(admins)
  sandboxRun(program)
  return program
}

/** The version in apps/cli/package.json (one folder up from both src/ and dist/). */
function cliVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version
}
