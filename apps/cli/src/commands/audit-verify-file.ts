import type { Command } from 'commander'
import type { AuditEvent } from '../admin-wire.js'
import { checkpointHead, verificationLine, verifyAuditEvents } from '../audit-chain.js'
import { emit } from '../cli-context.js'
import { CliError } from '../cli-error.js'
import { readInput } from '../read-input.js'

/**
 * `lanyard audit verify-file <events.jsonl> --handle <h> [--head <hash>]`: verifies an exported
 * chain (`lanyard audit <h> --format jsonl`) with no broker at all, for auditors holding an
 * export. The handle is part of every hash but not of the exported lines, so it is given.
 * `--head`: the head hash recorded elsewhere (e.g. when the export was made), which also
 * catches events cut off the end. Exit 1 when the chain does not verify.
 */
export function auditVerifyFile(audit: Command): void {
  audit
    .command('verify-file')
    .description('verify an exported audit chain (jsonl) offline: no broker, no token')
    .argument('<events.jsonl>', 'from `lanyard audit <handle> --format jsonl`; - reads stdin')
    .requiredOption('--handle <handle>', 'the agent the chain belongs to (every hash covers it)')
    .option('--head <hash>', 'the expected head hash (catches a chain cut short)')
    .option('--checkpoint <file>', 'a signed audit checkpoint kept outside the broker (GET /v1/audit/checkpoints, or its webhook SET): the chain must reach the head it records')
    .action(async (file: string, options: { handle: string; head?: string; checkpoint?: string }, command: Command) => {
      const events = parseJsonl(await readInput(file, 'the audit events'), file)
      const fromCheckpoint = options.checkpoint === undefined ? undefined : await checkpointHead(options.checkpoint, options.handle)
      const verdict = verifyAuditEvents(options.handle, events, fromCheckpoint?.head)
      emit(command, verdict, (v) => `${verificationLine(v)}\n`)
      // Every hash covers the handle: a first event that does not match is most often the wrong --handle.
      const hint = !verdict.ok && verdict.broken_at === 1 && verdict.reason === 'hash does not match the event' ? ' (is it the chain of that agent?)' : ''
      if (!verdict.ok) throw new CliError(`audit chain in ${file} does not verify for ${options.handle}${fromCheckpoint?.head ? ` against checkpoint ${fromCheckpoint.checkpoint}` : ''}${hint}`)
      if (options.head !== undefined && verdict.head !== options.head.toLowerCase()) throw new CliError(`audit chain in ${file} ends at head ${verdict.head ?? '?'}, not the expected ${options.head}`)
    })
}

function parseJsonl(text: string, file: string): AuditEvent[] {
  return text.split('\n').flatMap((line, i) => {
    if (line.trim() === '') return []
    let event: unknown
    try {
      event = JSON.parse(line)
    } catch {
      throw new CliError(`${file} line ${i + 1} is not JSON`)
    }
    const e = event as Partial<AuditEvent>
    if (typeof e !== 'object' || e === null || typeof e.seq !== 'number' || typeof e.hash !== 'string' || typeof e.prev_hash !== 'string' || typeof e.at !== 'string') {
      throw new CliError(`${file} line ${i + 1} is not an audit event (seq, prev_hash, hash, at, ...)`)
    }
    return [e as AuditEvent]
  })
}
