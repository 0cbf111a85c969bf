import type { Command } from 'commander'
import type { AuditEvent } from '../admin-wire.js'
import { checkpointHead, verificationLine, verifyAuditEvents } from '../audit-chain.js'
import { emit } from '../cli-context.js'
import { CliError, UsageError, VerificationFailed } from '../cli-error.js'
import { parseJwks } from '../broker-keys.js'
import { readInput } from '../read-input.js'

/**
 * `lanyard audit verify-file <events.jsonl> --handle <h> [--head <hash>]`: verifies an exported
 * chain (`lanyard audit <h> --format jsonl`) with no broker at all, for auditors holding an
 * export. The handle is part of every hash but not of the exported lines, so it is given.
 * `--head`: the head hash recorded elsewhere (e.g. when the export was made), which also
 * catches events cut off the end. `--checkpoint` with `--jwks`: a signed checkpoint, its
 * signature checked against the broker's keys, whose head the chain must reach. Exit 1 when the chain does not verify.
 */
export function auditVerifyFile(audit: Command): void {
  audit
    .command('verify-file')
    .description('verify an exported audit chain (jsonl) offline: no broker, no token')
    .argument('<events.jsonl>', 'from `lanyard audit <handle> --format jsonl`; - reads stdin')
    .requiredOption('--handle <handle>', 'the agent the chain belongs to (every hash covers it)')
    .option('--head <hash>', 'the expected head hash (catches a chain cut short)')
    .option('--checkpoint <file>', 'a signed audit checkpoint kept outside the broker (GET /v1/audit/checkpoints, or its webhook SET): the chain must reach the head it records')
    .option('--jwks <file>', "with --checkpoint: the broker's keys (its /.well-known/lanyard-receipt-keys.json); the checkpoint's signature must verify against them")
    .option('--issuer <iss>', 'with --jwks: the issuer the checkpoint must name')
    .action(async (file: string, options: { handle: string; head?: string; checkpoint?: string; jwks?: string; issuer?: string }, command: Command) => {
      if (options.jwks !== undefined && options.checkpoint === undefined) throw new UsageError('--jwks needs --checkpoint')
      const events = parseJsonl(await readInput(file, 'the audit events'), file)
      const trust = options.jwks === undefined ? undefined : { jwks: parseJwks(await readInput(options.jwks, 'the JWKS'), options.jwks), issuer: options.issuer }
      const fromCheckpoint = options.checkpoint === undefined ? undefined : await checkpointHead(options.checkpoint, options.handle, trust)
      if (fromCheckpoint?.signature === 'not checked') process.stderr.write("warning: the checkpoint's signature was not checked; pass --jwks with the broker's keys\n")
      const verdict = await verifyAuditEvents(options.handle, events, fromCheckpoint?.head)
      emit(command, verdict, (v) => `${verificationLine(v)}\n`)
      // Every hash covers the handle: a first event that does not match is most often the wrong --handle.
      const hint = !verdict.ok && verdict.broken_at === 1 && verdict.reason === 'hash does not match the event' ? ' (is it the chain of that agent?)' : ''
      if (!verdict.ok) throw new VerificationFailed(`audit chain in ${file} does not verify for ${options.handle}${fromCheckpoint?.head ? ` against checkpoint ${fromCheckpoint.checkpoint}` : ''}${hint}`)
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
