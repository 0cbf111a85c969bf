import { api, must } from '../api/client.js'
import type { Delivery, Webhook } from '../api/wire.js'
import { useLoad } from '../use-load.js'

/** Webhooks and what was delivered to each. */
export function WebhooksPage() {
  const { data, error } = useLoad(async () => {
    const { webhooks } = await must<{ webhooks: Webhook[] }>(api.GET('/v1/webhooks'))
    return Promise.all(webhooks.map(async (webhook) => ({ webhook, deliveries: (await must<{ deliveries: Delivery[] }>(api.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id: webhook.id } } }))).deliveries })))
  }, 'webhooks')
  if (error !== undefined) return <p className="error">{error}</p>
  if (data === undefined) return <p className="muted">Loading…</p>
  return (
    <section>
      <h1>Webhooks</h1>
      {data.length === 0 ? <p className="muted">No webhook is subscribed.</p> : null}
      {data.map(({ webhook, deliveries }) => (
        <div key={webhook.id}>
          <h2 className="mono">{webhook.url}</h2>
          <p className="muted">{webhook.events.join(', ')}</p>
          <table>
            <thead><tr><th>Delivery</th><th>Status</th><th>Attempts</th><th>Created</th><th>Delivered</th><th>Last error</th></tr></thead>
            <tbody>
              {deliveries.map((d) => <tr key={d.id}><td className="mono">{d.id}</td><td>{d.status}</td><td>{d.attempts}</td><td>{d.created_at}</td><td>{d.delivered_at ?? '—'}</td><td>{d.last_error ?? ''}</td></tr>)}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  )
}
