import { api, must } from '../api/client.js'
import type { Revocation } from '../api/wire.js'
import { href } from '../route.js'
import { useLoad } from '../use-load.js'
import { Receipt } from './RevokeFlow.js'

/** The newest revocation jobs (GET /v1/revocations), newest first. */
async function history(): Promise<Revocation[]> {
  return (await must<{ revocations: Revocation[] }>(api.GET('/v1/revocations', { params: { query: { limit: 200 } } }))).revocations
}

/** Revocations: the history, and one job with its tasks and its verified receipt. */
export function RevocationsPage({ id }: { id: string | undefined }) {
  const { data, error } = useLoad(async () => (id === undefined ? history() : [await must<Revocation>(api.GET('/v1/revocations/{id}', { params: { path: { id } } }))]), id ?? '')
  if (error !== undefined) return <p className="error">{error}</p>
  if (data === undefined) return <p className="muted">Loading…</p>
  if (id !== undefined && data[0] !== undefined) {
    const r = data[0]
    return (
      <section>
        <h1>Revocation <span className="mono">{r.id}</span></h1>
        <p>{r.scope.kind} {r.scope.handle ?? r.scope.owner ?? ''} · {r.reason} · by {r.actor} · {r.status}</p>
        <ul>{r.tasks.map((t) => <li key={t.grant_id}><span className="mono">{t.grant_id}</span> {t.system}: {t.status}{t.outcome === undefined ? '' : ` (${t.outcome.kind})`}</li>)}</ul>
        {r.status === 'done' ? <Receipt id={r.id} /> : <p className="muted">Still cascading.</p>}
      </section>
    )
  }
  return (
    <section>
      <h1>Revocations</h1>
      {data.length === 0 ? <p className="muted">No revocation yet.</p> : null}
      <table>
        <thead><tr><th>Revocation</th><th>Scope</th><th>Reason</th><th>By</th><th>Started</th><th>Full dark</th></tr></thead>
        <tbody>
          {data.map((r) => (
            <tr key={r.id}>
              <td><a className="mono" href={href('revocations', r.id)}>{r.id}</a></td><td>{r.scope.kind} {r.scope.handle ?? ''}</td><td>{r.reason}</td><td>{r.actor}</td><td>{r.created_at}</td><td>{r.finished_at ?? 'running'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
