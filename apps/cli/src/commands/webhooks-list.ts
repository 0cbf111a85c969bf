import type { Command } from 'commander'
import { adminApi, emit } from '../cli-context.js'
import { formatTable } from '../output/table.js'
import { webhookColumns, type WebhookWire } from './webhooks-add.js'

/** `lanyard webhooks list` */
export function webhooksList(webhooks: Command): void {
  webhooks
    .command('list')
    .description('list the webhook subscriptions')
    .action(async (_options: unknown, command: Command) => {
      const listed = await adminApi(command).get<{ webhooks: WebhookWire[] }>('/v1/webhooks')
      emit(command, listed, (l) => formatTable(webhookColumns, l.webhooks, { empty: 'no webhooks' }))
    })
}
