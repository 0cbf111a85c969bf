import { setTimeout as delay } from 'node:timers/promises'
import type { Command } from 'commander'
import type { AdminApi } from './admin-api.js'
import type { ReceiptResponse, ReceiptSummary, Revocation, RevocationTask } from './admin-wire.js'
import { emit, globalOptions } from './cli-context.js'
import { CliError } from './cli-error.js'
import { integerIn } from './option-parsers.js'
import { formatJson } from './output/json.js'
import { createProgress } from './output/progress.js'
import { formatTable } from './output/table.js'

/** Polling starts quick (most cascades finish in well under a second) and backs off to this. */
const POLL_MAX_MS = 1000

export interface WaitOptions {
  wait?: boolean
  /** Seconds. */
  timeout: number
}

/** `--wait` and `--timeout <seconds>`, the same on every command that starts a revocation. */
export function waitOptions(command: Command): Command {
  return command
    .option('--wait', "follow the cascade until every grant has an outcome, then print the receipt's full-dark time")
    .option('--timeout <seconds>', 'how long --wait waits', integerIn(1, 86_400), 300)
}

/**
 * After a call that started one revocation job (`{ revocation, ... }`, 202): `headline`, then
 * either where the job is, or with `--wait` the job followed to its receipt (waitAndReport).
 * --json: the broker's answer; with --wait, its `revocation` finished and the `receipt` added.
 */
export async function reportStarted<T extends { revocation: Revocation }>(command: Command, api: AdminApi, options: WaitOptions, started: T, headline: string): Promise<void> {
  if (!options.wait) {
    emit(command, started, ({ revocation }) => `${headline}\n${startedLine(revocation)}\n`)
    return
  }
  await waitAndReport(command, api, [started.revocation], {
    announce: `${headline}; revocation ${started.revocation.id}`,
    timeoutSeconds: options.timeout,
    json: ({ revocations, receipts }) => ({ ...started, revocation: revocations[0], receipt: receipts[0] }),
  })
}

/** Revocations followed to the end, with their signed receipts. */
export interface FinishedRevocations {
  revocations: Revocation[]
  receipts: ReceiptResponse[]
  /** The latest `full_dark_at` of the receipts: from then on no covered credential works. */
  full_dark_at: string
}

/**
 * The end of every `--wait`: (1) `announce` (unless --json); (2) follow the jobs to `done`,
 * with one progress over all their grants; (3) fetch each job's receipt; (4) print the
 * per-system summary and the full-dark time, or `json(finished)` with --json; (5) exit 1 when
 * a grant could not be revoked upstream. A timeout exits 1 and leaves the cascade running.
 */
export async function waitAndReport(
  command: Command,
  api: AdminApi,
  started: readonly Revocation[],
  options: { announce: string; timeoutSeconds: number; json: (finished: FinishedRevocations) => unknown },
): Promise<void> {
  const json = globalOptions(command).json
  if (!json) process.stdout.write(`${options.announce}\n`)
  const revocations = await followRevocations(api, started, options.timeoutSeconds * 1000, !json)
  const receipts = await Promise.all(revocations.map((r) => api.get<ReceiptResponse>(`${revocationPath(r.id)}/receipt`)))
  const finished: FinishedRevocations = { revocations, receipts, full_dark_at: latest(receipts.map((r) => r.full_dark_at)) }
  process.stdout.write(json ? formatJson(options.json(finished)) : `${summary(revocations)}${fullDarkLine(finished.full_dark_at, sumReceipts(receipts))}\n`)
  const failed = revocations.flatMap((r) => r.tasks).filter((t) => t.outcome?.kind === 'failed').length
  if (failed > 0) throw new CliError(`${failed} grant(s) could not be revoked upstream (see the summary)`)
}

/** Polls each running job until all are `done`; throws CliError after `timeoutMs`. */
export async function followRevocations(api: AdminApi, revocations: readonly Revocation[], timeoutMs: number, showProgress: boolean): Promise<Revocation[]> {
  const total = revocations.reduce((n, r) => n + r.tasks.length, 0)
  const progress = showProgress && total > 0 ? createProgress(process.stdout, 'grants') : undefined
  const deadline = Date.now() + timeoutMs
  let current = [...revocations]
  let waitMs = 100
  try {
    for (;;) {
      progress?.update(current.flatMap((r) => r.tasks).filter((t) => t.status === 'done').length, total)
      const running = current.filter((r) => r.status !== 'done')
      if (running.length === 0) return current
      if (Date.now() >= deadline) throw new CliError(`revocation ${running.map((r) => r.id).join(', ')} still running after ${Math.round(timeoutMs / 1000)} s; the cascade goes on in the broker`)
      await delay(waitMs)
      waitMs = Math.min(waitMs * 2, POLL_MAX_MS)
      current = await Promise.all(current.map((r) => (r.status === 'done' ? r : api.get<Revocation>(revocationPath(r.id)))))
    }
  } finally {
    progress?.finish()
  }
}

/** What a command that started a job says when not waiting for it. */
export function startedLine(revocation: Revocation): string {
  return `revocation ${revocation.id}: ${revocation.tasks.length} live grant(s) to revoke upstream; --wait follows it, \`lanyard revocations show ${revocation.id}\` shows it`
}

export function revocationPath(id: string): string {
  return `/v1/revocations/${encodeURIComponent(id)}`
}

/** `full dark at <time>` with the receipt's counts: the line every finished revocation ends with. */
export function fullDarkLine(fullDarkAt: string, counts: ReceiptSummary): string {
  const at = fullDarkAt.replace(/\.\d+Z$/, 'Z')
  const when = Date.parse(fullDarkAt) <= Date.now() ? `full dark since ${at}: no credential it covered works any more` : `full dark at ${at}: the last credential it covered dies then (by expiry)`
  return `${when} (receipt: ${counts.provably_dead} proven dead, ${counts.revoked_unproven} revoked without proof, ${counts.dead_by_expiry} dead by expiry, ${counts.failed} failed)`
}

function sumReceipts(receipts: readonly ReceiptResponse[]): ReceiptSummary {
  const total: ReceiptSummary = { provably_dead: 0, revoked_unproven: 0, dead_by_expiry: 0, failed: 0 }
  for (const { summary: s } of receipts) for (const key of Object.keys(total) as (keyof ReceiptSummary)[]) total[key] += s[key]
  return total
}

function latest(times: readonly string[]): string {
  return times.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a), times[0] ?? new Date().toISOString())
}

interface SystemSummary {
  system: string
  revoked: number
  expired: number
  unrevocable: number
  until?: string
  failed: number
  pending: number
}

/** One row per system over every task of the jobs: how many grants ended which way. */
export function summary(revocations: Revocation | readonly Revocation[]): string {
  const jobs = Array.isArray(revocations) ? revocations : [revocations as Revocation]
  const status = jobs.every((r) => r.status === 'done') ? 'done' : 'running'
  const title = jobs.length === 1 ? `revocation ${jobs[0]?.id} ${status}` : `${jobs.length} revocations ${status}`
  const tasks = jobs.flatMap((r) => r.tasks)
  if (tasks.length === 0) return `${title}: no live grants to revoke\n`
  const bySystem = new Map<string, SystemSummary>()
  for (const task of tasks) {
    const row = bySystem.get(task.system) ?? { system: task.system, revoked: 0, expired: 0, unrevocable: 0, failed: 0, pending: 0 }
    count(row, task)
    bySystem.set(task.system, row)
  }
  const rows = [...bySystem.values()].sort((a, b) => a.system.localeCompare(b.system))
  return `${title}:\n${formatTable(
    [
      { header: 'system', value: (r: SystemSummary) => r.system },
      { header: 'revoked', value: (r: SystemSummary) => r.revoked },
      { header: 'expired', value: (r: SystemSummary) => r.expired },
      { header: 'unrevocable', value: (r: SystemSummary) => (r.unrevocable === 0 ? 0 : `${r.unrevocable} (until ${r.until?.replace(/\.\d+Z$/, 'Z')})`) },
      { header: 'failed', value: (r: SystemSummary) => r.failed },
      { header: 'pending', value: (r: SystemSummary) => r.pending },
    ],
    rows,
  )}`
}

function count(row: SystemSummary, task: RevocationTask): void {
  const outcome = task.status === 'done' ? task.outcome : undefined
  switch (outcome?.kind) {
    case 'revoked':
      row.revoked++
      return
    case 'expired':
      row.expired++
      return
    case 'unrevocable-until':
      row.unrevocable++
      // The latest moment is the one that matters: until then a credential may still work.
      if (outcome.until && (!row.until || outcome.until > row.until)) row.until = outcome.until
      return
    case 'failed':
      row.failed++
      return
    default:
      row.pending++
  }
}
