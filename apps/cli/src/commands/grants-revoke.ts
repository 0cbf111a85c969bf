import type { Command } from 'commander'
import type { RevocationStarted } from '../admin-wire.js'
import { adminApi } from '../cli-context.js'
import { handlePath } from '../option-parsers.js'
import { reportStarted, waitOptions } from '../revocation-wait.js'
import type { WaitOptions } from '../revocation-wait.js'

/**
 * `lanyard grants revoke <handle> <grant-id> --reason <text> [--wait]`: revoke one credential
 * upstream; the agent and its other grants stay as they are.
 */
export function grantsRevoke(grants: Command): void {
  waitOptions(
    grants
      .command('revoke')
      .description('revoke one grant upstream, leaving the agent and its other grants alone')
      .argument('<handle>')
      .argument('<grant-id>', 'from `lanyard grants <handle>`')
      .requiredOption('--reason <text>', 'why (kept in the audit chain)'),
  ).action(async (handle: string, grantId: string, options: WaitOptions & { reason: string }, command: Command) => {
    const api = adminApi(command)
    const started = await api.post<RevocationStarted>(`${handlePath(handle)}/grants/${encodeURIComponent(grantId)}/revoke`, { reason: options.reason })
    await reportStarted(command, api, options, started, `revoking grant ${grantId} of ${handle}`)
  })
}
