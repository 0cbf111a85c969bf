import type { Command } from 'commander'
import type { Agent, Grant, Revocation } from '../admin-wire.js'
import { adminApi, emit } from '../cli-context.js'
import { UsageError } from '../cli-error.js'
import { handlePath } from '../option-parsers.js'
import { formatTable } from '../output/table.js'
import { reportStarted, waitOptions } from '../revocation-wait.js'
import type { WaitOptions } from '../revocation-wait.js'

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
 * then prints a per-system summary and the receipt's full-dark time. Exit 1 when a grant could
 * not be revoked, or on timeout.
 */
export function agentsRevoke(agents: Command): void {
  waitOptions(
    agents
      .command('revoke')
      .description('revoke an agent everywhere: final; every live grant is revoked upstream')
      .argument('<handle>')
      .option('--reason <text>', 'why (kept in the audit chain); required unless --dry-run'),
  )
    .option('--dry-run', 'show the live grants a revoke would revoke, and how; change nothing')
    .action(async (handle: string, options: WaitOptions & { reason?: string; dryRun?: boolean }, command: Command) => {
      const api = adminApi(command)
      if (options.dryRun) {
        if (options.wait) throw new UsageError('--dry-run changes nothing, so there is nothing to --wait for')
        const plan = await api.post<RevocationPlan>(`${handlePath(handle)}/revoke?dry_run=1`)
        emit(command, plan, (p) => `dry run, nothing changed: revoking ${handle} would revoke ${p.grants.length} live grant(s)${p.last_expiry_at ? `; the last expires at ${p.last_expiry_at}` : ''}\n${p.grants.length > 0 ? formatTable(planColumns, p.grants) : ''}`)
        return
      }
      if (!options.reason) throw new UsageError("required option '--reason <text>' not specified")
      const started = await api.post<{ revocation: Revocation; agent: Agent }>(`${handlePath(handle)}/revoke`, { reason: options.reason })
      await reportStarted(command, api, options, started, `revoked agent ${started.agent.handle} (generation ${started.agent.generation})`)
    })
}

const planColumns = [
  { header: 'grant', value: (g: PlannedGrant) => g.id },
  { header: 'system', value: (g: PlannedGrant) => g.system },
  { header: 'scopes', value: (g: PlannedGrant) => g.scopes },
  { header: 'expires', value: (g: PlannedGrant) => g.expires_at },
  { header: 'how', value: (g: PlannedGrant) => g.mechanism },
]
