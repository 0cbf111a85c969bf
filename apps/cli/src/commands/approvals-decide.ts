import type { Command } from 'commander'
import type { Approval } from '../admin-wire.js'
import { adminApi, emit } from '../cli-context.js'
import { approvalDetails } from './approvals-show.js'

/**
 * `lanyard approvals approve|deny <id> --as <email> [--note text]`: a person's decision. The
 * admin token authenticates the call; `--as` names the person, who must be an approver the
 * request lists (both are recorded in the audit chain).
 */
export function approvalsDecide(approvals: Command): void {
  for (const verb of ['approve', 'deny'] as const) {
    approvals
      .command(verb)
      .description(`${verb} an approval request (the agent then exchanges ${verb === 'approve' ? 'once' : 'nothing'})`)
      .argument('<id>')
      .requiredOption('--as <email>', 'the approver deciding (one the request lists)')
      .option('--note <text>', 'kept with the decision and in the audit chain')
      .action(async (id: string, options: { as: string; note?: string }, command: Command) => {
        const approval = await adminApi(command).post<Approval>(`/v1/approvals/${encodeURIComponent(id)}/${verb}`, { approver: options.as, ...(options.note === undefined ? {} : { note: options.note }) })
        emit(command, approval, approvalDetails)
      })
  }
}
