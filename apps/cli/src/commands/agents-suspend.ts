import type { Command } from 'commander'
import type { Agent, Revocation } from '../admin-wire.js'
import { adminApi, emit } from '../cli-context.js'
import { UsageError } from '../cli-error.js'
import { handlePath } from '../option-parsers.js'
import { reportStarted, waitOptions } from '../revocation-wait.js'
import type { WaitOptions } from '../revocation-wait.js'
import { agentDetails } from './agents-show.js'

/**
 * `lanyard agents suspend <handle> --reason <text> [--revoke-grants [--wait]]`. Suspending is
 * reversible (`agents resume`); `--revoke-grants` also cuts what the agent already holds, in
 * the same store write as the status change (202 with a revocation job, like `agents revoke`).
 */
export function agentsSuspend(agents: Command): void {
  waitOptions(
    agents
      .command('suspend')
      .description('suspend an agent: nothing new is issued to it until it is resumed; --revoke-grants also revokes what it holds')
      .argument('<handle>')
      .requiredOption('--reason <text>', 'why (kept in the audit chain)')
      .option('--revoke-grants', 'also revoke every live grant upstream (a revocation job)'),
  ).action(async (handle: string, options: WaitOptions & { reason: string; revokeGrants?: boolean }, command: Command) => {
    const api = adminApi(command)
    if (!options.revokeGrants) {
      if (options.wait) throw new UsageError('--wait follows the revocation of --revoke-grants; without it there is nothing to wait for')
      const agent = await api.post<Agent>(`${handlePath(handle)}/suspend`, { reason: options.reason })
      emit(command, agent, (a) => `suspended agent ${a.handle}\n${agentDetails(a)}`)
      return
    }
    const started = await api.post<{ revocation: Revocation; agent: Agent }>(`${handlePath(handle)}/suspend`, { reason: options.reason, revoke_grants: true })
    await reportStarted(command, api, options, started, `suspended agent ${started.agent.handle} (generation ${started.agent.generation})`)
  })
}
