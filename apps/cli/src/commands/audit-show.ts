import type { Command } from 'commander'
import { Option } from 'commander'
import type { AuditEvent, AuditVerification } from '../admin-wire.js'
import { checkpointHead, verificationLine, verifyAuditEvents } from '../audit-chain.js'
import { adminApi, globalOptions } from '../cli-context.js'
import { CliError, VerificationFailed } from '../cli-error.js'
import { brokerKeys } from '../broker-keys.js'
import { handlePath } from '../option-parsers.js'
import { formatJson } from '../output/json.js'
import { formatTable } from '../output/table.js'

const PAGE_SIZE = 500

/**
 * `lanyard audit [show] <handle> [--verify] [--format table|jsonl]`: the agent's audit chain,
 * every page (`show` is the default subcommand of `audit`). `--verify` checks the hash chain
 * twice: the broker verifies it, and the CLI recomputes every hash from the events it received
 * (audit-chain.ts); both must agree, or exit 1. jsonl is one event per line, for log pipelines
 * and `lanyard audit verify-file`; with jsonl the verdict goes to stderr.
 */
export function auditShow(audit: Command): void {
  audit
    .command('show', { isDefault: true })
    .description("show an agent's audit chain; the default: `audit <handle>`")
    .argument('<handle>')
    .option('--verify', 'verify the hash chain: by the broker, and recomputed here')
    .option('--checkpoint <file>', "with --verify: a signed audit checkpoint kept outside the broker, its signature checked against the broker's keys; the chain must reach the head it records")
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'jsonl']).default('table'))
    .action(async (handle: string, options: { verify?: boolean; checkpoint?: string; format: 'table' | 'jsonl' }, command: Command) => {
      if (options.checkpoint !== undefined && !options.verify) throw new CliError('--checkpoint needs --verify')
      const fromCheckpoint = options.checkpoint === undefined ? undefined : await checkpointHead(options.checkpoint, handle, await brokerKeys(globalOptions(command).url, undefined))
      const api = adminApi(command)
      const events: AuditEvent[] = []
      let verification: AuditVerification | undefined
      for (let after: number | undefined; ; ) {
        const page = await api.get<{ events: AuditEvent[]; verification?: AuditVerification }>(`${handlePath(handle)}/audit`, {
          after: after === undefined ? undefined : String(after),
          limit: String(PAGE_SIZE),
          verify: options.verify && after === undefined ? '1' : undefined,
        })
        verification ??= page.verification
        events.push(...page.events)
        const last = page.events.at(-1)
        if (page.events.length < PAGE_SIZE || last === undefined) break
        after = last.seq
      }
      if (options.verify && !verification) throw new CliError('the broker returned no verification result')
      // Against the outside checkpoint when given: a tail deleted together with the store's own head is still caught.
      const offline = options.verify ? await verifyAuditEvents(handle, events, fromCheckpoint?.head) : undefined
      const verdict = verification && offline ? compare(verification, offline, events) : undefined
      if (options.format === 'jsonl') {
        process.stdout.write(events.map((e) => `${JSON.stringify(e)}\n`).join(''))
        if (verdict) process.stderr.write(verdict.text)
      } else if (globalOptions(command).json) {
        process.stdout.write(formatJson(verification && offline ? { events, verification, offline_verification: offline } : { events }))
      } else {
        process.stdout.write(formatTable(auditColumns, events, { empty: `no audit events for ${handle}` }))
        if (verdict) process.stdout.write(verdict.text)
      }
      if (verdict?.failure) throw new VerificationFailed(`audit chain of ${handle} ${verdict.failure}`)
    })
}

const auditColumns = [
  { header: 'seq', value: (e: AuditEvent) => e.seq },
  { header: 'at', value: (e: AuditEvent) => e.at },
  { header: 'actor', value: (e: AuditEvent) => e.actor },
  { header: 'action', value: (e: AuditEvent) => e.action },
  { header: 'target', value: (e: AuditEvent) => e.target },
  { header: 'outcome', value: (e: AuditEvent) => e.outcome },
  { header: 'hash', value: (e: AuditEvent) => e.hash.slice(0, 12) },
]

/**
 * The broker's verdict against the one recomputed here. They agree when both verify and the
 * broker's head is the hash of the event at its length (the chain may have grown between the
 * pages read and the broker's check, so the lengths alone may differ).
 */
export function compare(broker: AuditVerification, offline: AuditVerification, events: readonly AuditEvent[]): { text: string; failure?: string } {
  const both = `broker:  ${verificationLine(broker)}\noffline: ${verificationLine(offline)}\n`
  if (!broker.ok) return { text: both, failure: 'does not verify (the broker says so)' }
  if (!offline.ok) return { text: both, failure: `does not verify when recomputed here (seq ${offline.broken_at ?? '?'}), though the broker says it does` }
  const atBrokerLength = broker.length === 0 ? undefined : events.find((e) => e.seq === broker.length)
  const brokerHead = broker.length === 0 ? offline.head : atBrokerLength?.hash
  if (brokerHead !== broker.head) return { text: both, failure: `head differs: the broker verified ${broker.head ?? '?'} at seq ${broker.length ?? '?'}, the events read here have ${brokerHead ?? 'no such event'}` }
  return { text: `${verificationLine(offline)}\nchecked twice: by the broker, and recomputed here from the events read\n` }
}
