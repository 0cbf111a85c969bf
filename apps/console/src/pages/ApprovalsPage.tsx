import { useState } from 'react'
import { api, must } from '../api/client.js'
import type { Approval } from '../api/wire.js'
import { can, useMe } from '../session.js'
import { useLoad } from '../use-load.js'

/** Approvals inbox: pending requests, approve or deny with a note, signed as the caller. */
export function ApprovalsPage() {
  const me = useMe()
  const { data, error, reload } = useLoad(async () => (await must<{ approvals: Approval[] }>(api.GET('/v1/approvals', { params: { query: { status: 'pending' } } }))).approvals, 'pending')
  const [notes, setNotes] = useState<Record<string, string>>({})
  const [failure, setFailure] = useState<string>()
  const decide = async (id: string, decision: 'approve' | 'deny') => {
    setFailure(undefined)
    const note = notes[id]?.trim()
    // The broker decides as the signed-in person; naming anyone else is refused.
    const body = note ? { note } : {}
    try {
      if (decision === 'approve') await must(api.POST('/v1/approvals/{id}/approve', { params: { path: { id } }, body }))
      else await must(api.POST('/v1/approvals/{id}/deny', { params: { path: { id } }, body }))
      reload()
    } catch (e) {
      setFailure(e instanceof Error ? e.message : String(e))
    }
  }
  if (error !== undefined) return <p className="error">{error}</p>
  if (data === undefined) return <p className="muted">Loading…</p>
  return (
    <section>
      <h1>Approvals</h1>
      {failure === undefined ? null : <p className="error">{failure}</p>}
      {data.length === 0 ? <p className="muted">Nothing waits for a decision.</p> : null}
      <table>
        <thead><tr><th>Agent</th><th>System</th><th>Scopes</th><th>Approvers</th><th>Requested</th><th>Expires</th><th /></tr></thead>
        <tbody>
          {data.map((a) => (
            <tr key={a.id}>
              <td>{a.handle}</td><td>{a.system}</td><td>{a.scopes.join(' ')}</td><td>{a.approvers.join(', ')}</td><td>{a.requested_at}</td><td>{a.expires_at ?? '—'}</td>
              <td>
                {can(me, 'approve') ? (
                  <>
                    <input placeholder="note" value={notes[a.id] ?? ''} onChange={(e) => setNotes({ ...notes, [a.id]: e.target.value })} />
                    <button type="button" onClick={() => void decide(a.id, 'approve')}>Approve</button>
                    <button type="button" className="danger" onClick={() => void decide(a.id, 'deny')}>Deny</button>
                  </>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
