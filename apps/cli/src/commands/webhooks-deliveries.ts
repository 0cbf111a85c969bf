import type { Command } from 'commander'
import { adminApi, emit } from '../cli-context.js'
import { formatTable } from '../output/table.js'

interface DeliveryWire {
  id: string
  status: string
  attempts: number
  created_at: string
  next_attempt_at?: string
  delivered_at?: string
  last_error?: string
}

/** `lanyard webhooks deliveries <id>`: what was sent to one subscription, and how it went. */
export function webhooksDeliveries(webhooks: Command): void {
  webhooks
    .command('deliveries')
    .description("list a webhook's deliveries: status, attempts, last error")
    .argument('<id>')
    .action(async (id: string, _options: unknown, command: Command) => {
      const listed = await adminApi(command).get<{ deliveries: DeliveryWire[] }>(`/v1/webhooks/${encodeURIComponent(id)}/deliveries`)
      emit(command, listed, (l) =>
        formatTable(
          [
            { header: 'id', value: (d) => d.id },
            { header: 'status', value: (d) => d.status },
            { header: 'attempts', value: (d) => d.attempts },
            { header: 'created', value: (d) => d.created_at },
            { header: 'delivered', value: (d) => d.delivered_at },
            { header: 'next attempt', value: (d) => d.next_attempt_at },
            { header: 'last error', value: (d) => d.last_error },
          ],
          l.deliveries,
          { empty: `no deliveries to webhook ${id} yet` },
        ),
      )
    })
}
