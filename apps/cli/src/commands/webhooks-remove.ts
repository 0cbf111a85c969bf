import type { Command } from 'commander'
import { adminApi, emit } from '../cli-context.js'

/** `lanyard webhooks remove <id>`: no more deliveries to it. */
export function webhooksRemove(webhooks: Command): void {
  webhooks
    .command('remove')
    .description('remove a webhook subscription')
    .argument('<id>')
    .action(async (id: string, _options: unknown, command: Command) => {
      await adminApi(command).delete(`/v1/webhooks/${encodeURIComponent(id)}`)
      emit(command, { id, removed: true }, (r) => `removed webhook ${r.id}\n`)
    })
}
