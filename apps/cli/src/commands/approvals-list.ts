import type { Command } from 'commander'
import { Option } from 'commander'
import type { Approval } from '../admin-wire.js'
import { adminApi, emit } from '../cli-context.js'
import { formatTable } from '../output/table.js'

/** `lanyard approvals [list] [--status pending] [--handle h]`: approval requests, oldest first. */
export function approvalsList(approvals: Command): void {
  approvals
    .command('list', { isDefault: true })
    .description('list approval requests (default: pending ones)')
    .addOption(new Option('--status <status>', 'only requests in this status').choices(['pending', 'approved', 'denied', 'spent', 'cancelled', 'all']).default('pending'))
    .option('--handle <handle>', 'only this agent')
    .action(async (options: { status: string; handle?: string }, command: Command) => {
      const result = await adminApi(command).get<{ approvals: Approval[] }>('/v1/approvals', { status: options.status === 'all' ? undefined : options.status, handle: options.handle })
      emit(command, result, ({ approvals: rows }) => formatTable(approvalColumns, rows, { empty: `no ${options.status === 'all' ? '' : `${options.status} `}approval requests` }))
    })
}

const approvalColumns = [
  { header: 'id', value: (a: Approval) => a.id },
  { header: 'agent', value: (a: Approval) => a.handle },
  { header: 'system', value: (a: Approval) => a.system },
  { header: 'scopes', value: (a: Approval) => a.scopes },
  { header: 'status', value: (a: Approval) => a.status },
  { header: 'reason', value: (a: Approval) => a.reason },
  { header: 'approvers', value: (a: Approval) => a.approvers },
  { header: 'expires', value: (a: Approval) => a.expires_at },
]
