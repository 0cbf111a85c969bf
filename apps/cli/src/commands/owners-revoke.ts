import type { Command } from 'commander'
import type { Agent, Revocation } from '../admin-wire.js'
import { adminApi, emit } from '../cli-context.js'
import { formatTable } from '../output/table.js'
import { waitAndReport, waitOptions } from '../revocation-wait.js'
import type { WaitOptions } from '../revocation-wait.js'

type OwnerRevocation = Revocation & { agent: Agent }

/**
 * `lanyard owners revoke <owner-email> --reason <text> [--wait]`: revoke every active or
 * suspended agent of one owner (one revocation job per agent); `--wait` follows them all and
 * ends with the latest full-dark time of their receipts.
 */
export function ownersRevoke(owners: Command): void {
  waitOptions(
    owners
      .command('revoke')
      .description('revoke every agent of an owner: final; each agent gets its own revocation job')
      .argument('<owner-email>')
      .requiredOption('--reason <text>', 'why (kept in the audit chain of each agent)'),
  ).action(async (owner: string, options: WaitOptions & { reason: string }, command: Command) => {
    const api = adminApi(command)
    const started = await api.post<{ revocations: OwnerRevocation[] }>(`/v1/owners/${encodeURIComponent(owner)}/revoke`, { reason: options.reason })
    const headline = `revoked ${started.revocations.length} agent(s) of ${owner}`
    if (!options.wait || started.revocations.length === 0) {
      emit(command, started, ({ revocations }) => `${headline}\n${revocations.length > 0 ? formatTable(startedColumns, revocations) : ''}`)
      return
    }
    const agents = new Map(started.revocations.map((r) => [r.id, r.agent]))
    await waitAndReport(command, api, started.revocations, {
      announce: `${headline}\n${formatTable(startedColumns, started.revocations).trimEnd()}`,
      timeoutSeconds: options.timeout,
      json: ({ revocations, receipts, full_dark_at }) => ({ revocations: revocations.map((r, i) => ({ ...r, agent: agents.get(r.id), receipt: receipts[i] })), full_dark_at }),
    })
  })
}

const startedColumns = [
  { header: 'handle', value: (r: OwnerRevocation) => r.agent.handle },
  { header: 'revocation', value: (r: OwnerRevocation) => r.id },
  { header: 'grants', value: (r: OwnerRevocation) => r.tasks.length },
]
