import type { Command } from 'commander'
import type { RevocationStarted } from '../admin-wire.js'
import { adminApi } from '../cli-context.js'
import { handlePath } from '../option-parsers.js'
import { reportStarted, waitOptions } from '../revocation-wait.js'
import type { WaitOptions } from '../revocation-wait.js'

/**
 * `lanyard bindings revoke <handle> <system> --reason <text> [--wait]`: end the agent's binding
 * to one system (status `revoked`: nothing exchanges through it until an admin binds the system
 * again) and revoke every open grant of the agent there; its other systems are untouched.
 */
export function bindingsRevoke(bindings: Command): void {
  waitOptions(
    bindings
      .command('revoke')
      .description("end an agent's binding to one system and revoke every grant of the agent there")
      .argument('<handle>')
      .argument('<system>', 'the bound system, e.g. github-acme')
      .requiredOption('--reason <text>', 'why (kept in the audit chain)'),
  ).action(async (handle: string, system: string, options: WaitOptions & { reason: string }, command: Command) => {
    const api = adminApi(command)
    const started = await api.post<RevocationStarted>(`${handlePath(handle)}/bindings/${encodeURIComponent(system)}/revoke`, { reason: options.reason })
    await reportStarted(command, api, options, started, `revoking the grants of ${handle} on ${system}`)
  })
}
