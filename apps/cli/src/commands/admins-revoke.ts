import type { Command } from 'commander'
import { adminApi, emit } from '../cli-context.js'
import type { AdminWire } from './admins-create.js'

/** `lanyard admins revoke <subject>`: its token is refused from now on, and its console sessions end. */
export function adminsRevoke(admins: Command): void {
  admins
    .command('revoke')
    .description("revoke a named admin's token")
    .argument('<subject>')
    .action(async (subject: string, _options: unknown, command: Command) => {
      const revoked = await adminApi(command).delete<AdminWire>(`/v1/admins/${encodeURIComponent(subject)}`)
      emit(command, revoked, (a) => `revoked ${a.principal} at ${a.revoked_at}`)
    })
}
