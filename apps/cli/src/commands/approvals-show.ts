import type { Command } from 'commander'
import type { Approval } from '../admin-wire.js'
import { adminApi, emit } from '../cli-context.js'
import { formatDetails } from '../output/table.js'

/** `lanyard approvals show <id> [--wait seconds]`: one request; --wait holds until it is decided. */
export function approvalsShow(approvals: Command): void {
  approvals
    .command('show')
    .description('show one approval request')
    .argument('<id>')
    .option('--wait <seconds>', 'wait up to this long for a decision (long-poll)')
    .action(async (id: string, options: { wait?: string }, command: Command) => {
      const approval = await adminApi(command).get<Approval>(`/v1/approvals/${encodeURIComponent(id)}`, { wait: options.wait })
      emit(command, approval, approvalDetails)
    })
}

export function approvalDetails(a: Approval): string {
  return formatDetails([
    ['id', a.id], ['agent', a.handle], ['system', a.system], ['scopes', a.scopes], ['status', a.status], ['reason', a.reason],
    ['approvers', a.approvers], ['requested', a.requested_at], ['expires', a.expires_at], ['decided by', a.decided_by], ['decided', a.decided_at],
    ['note', a.note], ['grant', a.grant_id],
  ])
}
