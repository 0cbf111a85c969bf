import { useEffect, useState } from 'react'
import { api, must } from '../api/client.js'
import type { Grant, Revocation } from '../api/wire.js'
import { followRevocation } from '../progress.js'
import { verifyReceipt, type ReceiptVerdict } from '../receipt.js'

/** One agent's dry-run: what it holds, how each grant dies, when the last credential dies. */
export interface PlanPart {
  readonly handle: string
  readonly grants: Grant[]
  readonly lastExpiryAt: string | null
}

/** The dry-run plan of revoking one agent (nothing is changed). */
export async function planAgent(handle: string): Promise<PlanPart> {
  const plan = await must<{ grants: Grant[]; last_expiry_at: string | null }>(api.POST('/v1/agents/{handle}/revoke', { params: { path: { handle }, query: { dry_run: '1' } } }))
  return { handle, grants: plan.grants, lastExpiryAt: plan.last_expiry_at }
}

interface Props {
  /** What the operator types to confirm: the handle, or the owner. */
  readonly confirmWord: string
  readonly plan: () => Promise<PlanPart[]>
  /** Starts the revocation; the ids of the jobs it opened. */
  readonly start: (reason: string) => Promise<string[]>
  readonly onDone?: () => void
}

/**
 * Revoke: the dry-run plan first, then a confirmation that names what is revoked, then the
 * cascade's progress task by task until full dark, then each signed receipt, verified here.
 */
export function RevokeFlow({ confirmWord, plan, start, onDone }: Props) {
  const [parts, setParts] = useState<PlanPart[]>()
  const [typed, setTyped] = useState('')
  const [reason, setReason] = useState('')
  const [ids, setIds] = useState<string[]>()
  const [error, setError] = useState<string>()
  const fail = (e: unknown) => setError(e instanceof Error ? e.message : String(e))

  useEffect(() => {
    plan().then(setParts, fail)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [confirmWord])

  if (error !== undefined) return <p className="error">{error}</p>
  if (parts === undefined) return <p className="muted">Planning (dry run)…</p>
  if (ids !== undefined) return <>{ids.map((id) => <Progress key={id} id={id} onDone={onDone} />)}</>

  const last = parts.map((p) => p.lastExpiryAt).filter((t): t is string => t !== null).sort().at(-1)
  const grants = parts.flatMap((p) => p.grants.map((g) => ({ ...g, handle: p.handle })))
  return (
    <div className="revoke" data-testid="revoke-plan">
      <h2>Dry run: what revoking {confirmWord} does</h2>
      <table>
        <thead>
          <tr><th>Agent</th><th>Grant</th><th>System</th><th>Scopes</th><th>Mechanism</th><th>Expires</th></tr>
        </thead>
        <tbody>
          {grants.map((g) => (
            <tr key={g.id}>
              <td>{g.handle}</td><td className="mono">{g.id}</td><td>{g.system}</td><td>{g.scopes.join(' ')}</td><td data-testid="mechanism">{g.mechanism}</td><td>{g.expires_at ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p data-testid="last-credential">
        {grants.length === 0 ? 'No live grant: the agents stop at once.' : `${grants.length} grant(s). The last credential dies ${last === undefined ? 'when its task is done' : `by ${last} at the latest`}.`}
      </p>
      <label>
        Reason
        <input name="reason" value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      <label>
        Type <strong className="mono">{confirmWord}</strong> to confirm
        <input name="confirm" value={typed} onChange={(e) => setTyped(e.target.value)} />
      </label>
      <button type="button" className="danger" disabled={typed !== confirmWord || reason.trim() === ''} onClick={() => start(reason.trim()).then(setIds, fail)}>
        Revoke {confirmWord}
      </button>
    </div>
  )
}

/** One revocation job: its tasks as they finish, then its receipt. */
function Progress({ id, onDone }: { id: string; onDone?: (() => void) | undefined }) {
  const [revocation, setRevocation] = useState<Revocation>()
  const [via, setVia] = useState<string>()
  const [error, setError] = useState<string>()
  useEffect(() => {
    const abort = new AbortController()
    followRevocation(id, (r, how) => { setRevocation(r); setVia(how) }, abort.signal).then(() => onDone?.(), (e: unknown) => abort.signal.aborted || setError(e instanceof Error ? e.message : String(e)))
    return () => abort.abort()
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id])
  const dark = revocation?.status === 'done'
  return (
    <div className="progress" data-testid="progress">
      <h2>Revocation <span className="mono">{id}</span></h2>
      {error === undefined ? null : <p className="error">{error}</p>}
      <ul>
        {(revocation?.tasks ?? []).map((t) => (
          <li key={t.grant_id} className={`task ${t.status}`}>
            <span className="mono">{t.grant_id}</span> {t.system}: {t.status}
            {t.outcome === undefined ? '' : ` (${t.outcome.kind}${t.outcome.until === undefined ? '' : ` until ${t.outcome.until}`})`}
            {t.last_error === undefined ? '' : ` — ${t.last_error}`}
          </li>
        ))}
      </ul>
      <p className={dark ? 'dark' : 'muted'} data-testid="progress-status">
        {dark ? `Full dark at ${revocation?.finished_at ?? ''}` : 'Cascading…'} {via === undefined ? '' : `(${via})`}
      </p>
      {dark ? <Receipt id={id} /> : null}
    </div>
  )
}

/** The signed receipt of a finished revocation, and whether it verifies. */
export function Receipt({ id }: { id: string }) {
  const [receipt, setReceipt] = useState<{ receipt: string; full_dark_at: string; summary: unknown }>()
  const [verdict, setVerdict] = useState<ReceiptVerdict>()
  const [error, setError] = useState<string>()
  useEffect(() => {
    must<{ receipt: string; full_dark_at: string; summary: unknown }>(api.GET('/v1/revocations/{id}/receipt', { params: { path: { id } } })).then(setReceipt, (e: unknown) => setError(e instanceof Error ? e.message : String(e)))
  }, [id])
  if (error !== undefined) return <p className="error">{error}</p>
  if (receipt === undefined) return <p className="muted">Fetching the receipt…</p>
  return (
    <div className="receipt" data-testid="receipt">
      <h3>Signed receipt</h3>
      <p>Full dark at {receipt.full_dark_at}</p>
      <pre className="mono">{JSON.stringify(receipt.summary, null, 2)}</pre>
      <details>
        <summary>JWS</summary>
        <textarea readOnly className="mono" value={receipt.receipt} />
      </details>
      <button type="button" onClick={() => void verifyReceipt(receipt.receipt).then(setVerdict)}>Verify</button>
      {verdict === undefined ? null : <p className={verdict.ok ? 'ok' : 'error'} data-testid="receipt-verdict">{verdict.ok ? `Verified: ${verdict.detail}` : `Not verified: ${verdict.detail}`}</p>}
    </div>
  )
}
