import type { Command } from 'commander'
import type { KeyRemoved } from '../admin-wire.js'
import { adminApi, emit } from '../cli-context.js'
import { handlePath } from '../option-parsers.js'

/**
 * `lanyard keys remove <handle> <kid>`: the key stops authenticating, and the agent's
 * generation moves, so handle tokens obtained before stop exchanging. The last key may go:
 * the agent then cannot authenticate until a key is added.
 */
export function keysRemove(keys: Command): void {
  keys
    .command('remove')
    .description("remove one of an agent's keys (handle tokens obtained before stop exchanging)")
    .argument('<handle>')
    .argument('<kid>', 'the key id (RFC 7638 thumbprint), as `agents show` lists it')
    .action(async (handle: string, kid: string, _options: unknown, command: Command) => {
      const removed = await adminApi(command).delete<KeyRemoved>(`${handlePath(handle)}/keys/${encodeURIComponent(kid)}`)
      emit(command, removed, (r) => `removed key ${r.removed} of ${handle} (generation ${r.agent.generation}: handle tokens obtained before no longer exchange)\n`)
    })
}
