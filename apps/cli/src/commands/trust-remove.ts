import type { Command } from 'commander'
import { adminApi, emit } from '../cli-context.js'
import { handlePath } from '../option-parsers.js'

/** `lanyard trust remove <handle> <rule-id>` */
export function trustRemove(trust: Command): void {
  trust
    .command('remove')
    .description('remove a trust rule: its platform tokens no longer sign in (tokens already minted live out their minutes)')
    .argument('<handle>')
    .argument('<rule-id>')
    .action(async (handle: string, id: string, _options: unknown, command: Command) => {
      await adminApi(command).delete(`${handlePath(handle)}/trust/${encodeURIComponent(id)}`)
      emit(command, { removed: id }, () => `trust rule ${id} removed from ${handle}\n`)
    })
}
