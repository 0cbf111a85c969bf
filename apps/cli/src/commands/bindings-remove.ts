import type { Command } from 'commander'
import type { RevocationStarted } from '../admin-wire.js'
import { adminApi } from '../cli-context.js'
import { handlePath } from '../option-parsers.js'
import { reportStarted, waitOptions } from '../revocation-wait.js'
import type { WaitOptions } from '../revocation-wait.js'

/**
 * `lanyard bindings remove <handle> <system> [--reason <text>] [--wait]`: delete the agent's
 * binding to one system and revoke every open grant of the agent there. `bindings revoke`
 * keeps the binding on record as `revoked`; this takes it away.
 */
export function bindingsRemove(bindings: Command): void {
  waitOptions(
    bindings
      .command('remove')
      .description("remove an agent's binding to one system, revoking every grant it issued")
      .argument('<handle>')
      .argument('<system>', 'the bound system, e.g. github-acme')
      .option('--reason <text>', 'why (kept in the audit chain)', 'binding removed'),
  ).action(async (handle: string, system: string, options: WaitOptions & { reason: string }, command: Command) => {
    const api = adminApi(command)
    const started = await api.delete<RevocationStarted>(`${handlePath(handle)}/bindings/${encodeURIComponent(system)}`, { reason: options.reason })
    await reportStarted(command, api, options, started, `removed the binding of ${handle} to ${system}; revoking its grants`)
  })
}
