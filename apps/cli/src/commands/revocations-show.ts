import type { Command } from 'commander'
import type { ReceiptResponse, Revocation, RevocationScope, RevocationTask } from '../admin-wire.js'
import { adminApi, emit } from '../cli-context.js'
import { formatDetails, formatTable } from '../output/table.js'
import { fullDarkLine, revocationPath, summary } from '../revocation-wait.js'

/**
 * `lanyard revocations show <id> [--receipt]`: a revocation job and each grant's outcome; with
 * `--receipt`, the broker's signed receipt of a finished job (its summary and full-dark time;
 * the compact JWS itself with --json, for `revocations verify-receipt`).
 */
export function revocationsShow(revocations: Command): void {
  revocations
    .command('show')
    .description('show a revocation job and the outcome for each grant; --receipt: its signed receipt')
    .argument('<id>', 'a revocation id, as revoke commands print it')
    .option('--receipt', "the signed receipt of the finished job (JWS with --json; check it with `revocations verify-receipt`)")
    .action(async (id: string, options: { receipt?: boolean }, command: Command) => {
      const api = adminApi(command)
      if (options.receipt) {
        const receipt = await api.get<ReceiptResponse>(`${revocationPath(id)}/receipt`)
        emit(command, receipt, (r) => `receipt of revocation ${id}, signed by the broker (the JWS: --json)\n${formatDetails(Object.entries(r.summary).map(([k, v]) => [k.replaceAll('_', ' '), v]))}${fullDarkLine(r.full_dark_at, r.summary)}\n`)
        return
      }
      const revocation = await api.get<Revocation>(revocationPath(id))
      emit(command, revocation, (r) => `${revocationDetails(r, [['status', r.status], ['grants', r.tasks.length]])}${r.tasks.length > 0 ? `\n${formatTable(taskColumns, r.tasks)}\n${summary(r)}` : ''}`)
    })
}

/** A revocation's own fields, one per line (a job, or the `revocation` claim of a receipt), then `more`. */
export function revocationDetails(r: Pick<Revocation, 'id' | 'scope' | 'reason' | 'actor' | 'created_at' | 'finished_at'>, more: [string, unknown][] = []): string {
  return formatDetails([['revocation', r.id], ['scope', describeScope(r.scope)], ['reason', r.reason], ['actor', r.actor], ['created', r.created_at], ['finished', r.finished_at], ...more])
}

/** `agent a@x.dev`, `grant <id> of a@x.dev`, `binding <id> of a@x.dev`. */
export function describeScope(scope: RevocationScope): string {
  const of = scope.handle === undefined ? '' : ` of ${scope.handle}`
  if (scope.kind === 'grant') return `grant ${scope.grantId ?? '?'}${of}`
  if (scope.kind === 'binding') return `binding ${scope.bindingId ?? '?'}${of}`
  return `${scope.kind} ${scope.handle ?? ''}`.trim()
}

const taskColumns = [
  { header: 'grant', value: (t: RevocationTask) => t.grant_id },
  { header: 'system', value: (t: RevocationTask) => t.system },
  { header: 'status', value: (t: RevocationTask) => t.status },
  { header: 'attempts', value: (t: RevocationTask) => t.attempts },
  { header: 'outcome', value: (t: RevocationTask) => t.outcome?.kind },
  { header: 'proof', value: (t: RevocationTask) => t.outcome?.proof },
  { header: 'until / error', value: (t: RevocationTask) => t.outcome?.until ?? t.outcome?.error ?? t.last_error },
]
