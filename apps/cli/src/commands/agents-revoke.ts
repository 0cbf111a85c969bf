import { setTimeout as delay } from 'node:timers/promises'
import type { Command } from 'commander'
import type { Agent, Grant, Revocation, RevocationTask } from '../admin-wire.js'
import type { AdminApi } from '../admin-api.js'
import { adminApi, emit, globalOptions } from '../cli-context.js'
import { CliError, UsageError } from '../cli-error.js'
import { handlePath, integerIn } from '../option-parsers.js'
import { createProgress } from '../output/progress.js'
import { formatTable } from '../output/table.js'

/** Polling starts quick (most cascades finish in well under a second) and backs off to this. */
const POLL_MAX_MS = 1000

/** `?dry_run=1`: what a revoke would do, changing nothing. */
interface RevocationPlan {
  dry_run: true
  grants: (Grant & { mechanism: string })[]
  last_expiry_at: string | null
}
type PlannedGrant = RevocationPlan['grants'][number]

/**
 * `lanyard agents revoke <handle> (--reason <text> [--wait] | --dry-run)`. The revoke itself
 * is immediate and final; `--wait` follows the cascade that revokes each live grant upstream,
 * then prints a per-system summary. Exit 1 when a grant could not be revoked, or on timeout.
 */
export function agentsRevoke(agents: Command): void {
  agents
    .command('revoke')
    .description('revoke an agent everywhere: final; every live grant is revoked upstream')
    .argument('<handle>')
    .option('--reason <text>', 'why (kept in the audit chain); required unless --dry-run')
    .option('--wait', 'follow the cascade until every grant has an outcome')
    .option('--timeout <seconds>', 'how long --wait waits', integerIn(1, 86_400), 300)
    .option('--dry-run', 'show the live grants a revoke would revoke, and how; change nothing')
    .action(async (handle: string, options: { reason?: string; wait?: boolean; timeout: number; dryRun?: boolean }, command: Command) => {
      const api = adminApi(command)
      if (options.dryRun) {
        if (options.wait) throw new UsageError('--dry-run changes nothing, so there is nothing to --wait for')
        const plan = await api.post<RevocationPlan>(`${handlePath(handle)}/revoke?dry_run=1`)
        emit(command, plan, (p) => `dry run, nothing changed: revoking ${handle} would revoke ${p.grants.length} live grant(s)${p.last_expiry_at ? `; the last expires at ${p.last_expiry_at}` : ''}\n${p.grants.length > 0 ? formatTable(planColumns, p.grants) : ''}`)
        return
      }
      if (!options.reason) throw new UsageError("required option '--reason <text>' not specified")
      const started = await api.post<{ revocation: Revocation; agent: Agent }>(`${handlePath(handle)}/revoke`, { reason: options.reason })
      if (!options.wait) {
        emit(command, started, ({ agent, revocation }) => `revoked agent ${agent.handle} (generation ${agent.generation})\nrevocation ${revocation.id}: ${revocation.tasks.length} live grant(s) to revoke upstream; --wait follows it\n`)
        return
      }
      const json = globalOptions(command).json
      if (!json) process.stdout.write(`revoked agent ${started.agent.handle} (generation ${started.agent.generation}); revocation ${started.revocation.id}\n`)
      const revocation = await follow(api, started.revocation, options.timeout * 1000, !json)
      emit(command, { agent: started.agent, revocation }, ({ revocation: r }) => summary(r))
      const failed = revocation.tasks.filter((t) => t.outcome?.kind === 'failed').length
      if (failed > 0) throw new CliError(`${failed} grant(s) could not be revoked upstream (see the summary)`)
    })
}

const planColumns = [
  { header: 'grant', value: (g: PlannedGrant) => g.id },
  { header: 'system', value: (g: PlannedGrant) => g.system },
  { header: 'scopes', value: (g: PlannedGrant) => g.scopes },
  { header: 'expires', value: (g: PlannedGrant) => g.expires_at },
  { header: 'how', value: (g: PlannedGrant) => g.mechanism },
]

async function follow(api: AdminApi, revocation: Revocation, timeoutMs: number, showProgress: boolean): Promise<Revocation> {
  const progress = showProgress && revocation.tasks.length > 0 ? createProgress(process.stdout, 'grants') : undefined
  const deadline = Date.now() + timeoutMs
  let current = revocation
  let waitMs = 100
  try {
    for (;;) {
      progress?.update(current.tasks.filter((t) => t.status === 'done').length, current.tasks.length)
      if (current.status === 'done') return current
      if (Date.now() >= deadline) throw new CliError(`revocation ${current.id} still running after ${Math.round(timeoutMs / 1000)} s; the cascade goes on in the broker`)
      await delay(waitMs)
      waitMs = Math.min(waitMs * 2, POLL_MAX_MS)
      current = await api.get<Revocation>(`/v1/revocations/${encodeURIComponent(current.id)}`)
    }
  } finally {
    progress?.finish()
  }
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

/** One row per system: how many grants ended which way. */
export function summary(revocation: Revocation): string {
  if (revocation.tasks.length === 0) return `revocation ${revocation.id} ${revocation.status}: the agent held no live grants\n`
  const bySystem = new Map<string, SystemSummary>()
  for (const task of revocation.tasks) {
    const row = bySystem.get(task.system) ?? { system: task.system, revoked: 0, expired: 0, unrevocable: 0, failed: 0, pending: 0 }
    count(row, task)
    bySystem.set(task.system, row)
  }
  const rows = [...bySystem.values()].sort((a, b) => a.system.localeCompare(b.system))
  return `revocation ${revocation.id} ${revocation.status}:\n${formatTable(
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
