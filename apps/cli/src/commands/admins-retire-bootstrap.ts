import type { Command } from 'commander'
import { adminApi, emit } from '../cli-context.js'

/**
 * `lanyard admins retire-bootstrap`: after it, every broker of this store refuses the bootstrap
 * token (recorded in the store). Run it with a named admin's token, once the first one exists.
 */
export function adminsRetireBootstrap(admins: Command): void {
  admins
    .command('retire-bootstrap')
    .description('refuse the bootstrap admin token from now on, on every broker (final)')
    .action(async (_options: unknown, command: Command) => {
      const answer = await adminApi(command).post<{ bootstrap_retired: true; retired_at: string }>('/v1/admins/bootstrap/retire')
      emit(command, answer, (a) => `bootstrap token retired at ${a.retired_at}; use named admin tokens from now on`)
    })
}
