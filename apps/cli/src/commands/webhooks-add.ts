import type { Command } from 'commander'
import { adminApi, emit } from '../cli-context.js'
import { commaList } from '../option-parsers.js'
import { formatTable } from '../output/table.js'

/** A webhook as /v1/webhooks answers it. */
export interface WebhookWire {
  id: string
  url: string
  events: string[]
  created_at: string
}

export const webhookColumns = [
  { header: 'id', value: (w: WebhookWire) => w.id },
  { header: 'url', value: (w: WebhookWire) => w.url },
  { header: 'events', value: (w: WebhookWire) => w.events.join(', ') },
  { header: 'created', value: (w: WebhookWire) => w.created_at },
]

/** `lanyard webhooks add <url> [--events a,b]`: a relying party's subscription to revocation SETs. */
export function webhooksAdd(webhooks: Command): void {
  webhooks
    .command('add')
    .description("subscribe a relying party's URL to revocation events (signed SETs, POSTed with retries)")
    .argument('<url>', 'where the events are POSTed (https; loopback only in a sandbox deployment)')
    .option('--events <kinds>', 'comma-separated event kinds (default: every revocation event)', commaList)
    .action(async (url: string, options: { events?: string[] }, command: Command) => {
      const webhook = await adminApi(command).post<WebhookWire>('/v1/webhooks', { url, ...(options.events === undefined ? {} : { events: options.events }) })
      emit(command, webhook, (w) => `webhook added\n${formatTable(webhookColumns, [w])}`)
    })
}
