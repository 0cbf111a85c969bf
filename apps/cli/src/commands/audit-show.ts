import type { Command } from 'commander'
import { Option } from 'commander'
import type { AuditEvent, AuditVerification } from '../admin-wire.js'
import { adminApi, globalOptions } from '../cli-context.js'
import { CliError } from '../cli-error.js'
import { handlePath } from '../option-parsers.js'
import { formatJson } from '../output/json.js'
import { formatTable } from '../output/table.js'

const PAGE_SIZE = 500

/**
 * `lanyard audit <handle> [--verify] [--format table|jsonl]`: the agent's audit chain, every
 * page. `--verify` has the broker check the hash chain; a broken chain exits 1. jsonl is one
 * event per line, for offline verification and log pipelines.
 */
export function auditShow(program: Command): void {
  program
    .command('audit')
    .description("show an agent's audit chain")
    .argument('<handle>')
    .option('--verify', 'verify the hash chain')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'jsonl']).default('table'))
    .action(async (handle: string, options: { verify?: boolean; format: 'table' | 'jsonl' }, command: Command) => {
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
      if (options.format === 'jsonl') {
        process.stdout.write(events.map((e) => `${JSON.stringify(e)}\n`).join(''))
        if (verification) process.stderr.write(`${verificationLine(verification)}\n`)
      } else if (globalOptions(command).json) {
        process.stdout.write(formatJson(verification ? { events, verification } : { events }))
      } else {
        process.stdout.write(formatTable(auditColumns, events, { empty: `no audit events for ${handle}` }))
        if (verification) process.stdout.write(`${verificationLine(verification)}\n`)
      }
      if (options.verify && !verification) throw new CliError('the broker returned no verification result')
      if (verification && !verification.ok) throw new CliError(`audit chain of ${handle} does not verify`)
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

function verificationLine(v: AuditVerification): string {
  if (v.ok) return `chain verified: ${v.length ?? '?'} event(s)${v.head ? `, head ${v.head}` : ''}`
  return `chain BROKEN${v.broken_at === undefined ? '' : ` at seq ${v.broken_at}`}${v.reason ? `: ${v.reason}` : ''}`
}
