import { useState } from 'react'
import { api, must } from '../api/client.js'
import type { Agent, AgentDetail, AuditEvent, Grant, Verification } from '../api/wire.js'
import { href } from '../route.js'
import { can, useMe } from '../session.js'
import { useLoad } from '../use-load.js'
import { planAgent, RevokeFlow } from './RevokeFlow.js'

interface Audit {
  events: AuditEvent[]
  verification: Verification
}

/** Saves the agent's whole audit chain as a JSON file (read with the session, so no bare link). */
async function exportAudit(handle: string): Promise<void> {
  const audit = await must<unknown>(api.GET('/v1/agents/{handle}/audit', { params: { path: { handle }, query: { limit: 10_000, verify: '1' } } }))
  const url = URL.createObjectURL(new Blob([JSON.stringify(audit, null, 2)], { type: 'application/json' }))
  const a = document.createElement('a')
  a.href = url
  a.download = `${handle}-audit.json`
  a.click()
  URL.revokeObjectURL(url)
}

/** An agent: bindings, live grants with expiry, its sub-agents, trust tier and why, its audit chain (verified), revoke. */
export function AgentPage({ handle }: { handle: string }) {
  const me = useMe()
  const [revoking, setRevoking] = useState(false)
  const { data, error, reload } = useLoad(async () => {
    const path = { handle }
    const [agent, grants, audit, children] = await Promise.all([
      must<AgentDetail>(api.GET('/v1/agents/{handle}', { params: { path } })),
      must<{ grants: Grant[] }>(api.GET('/v1/agents/{handle}/grants', { params: { path, query: { status: 'live' } } })),
      must<Audit>(api.GET('/v1/agents/{handle}/audit', { params: { path, query: { verify: '1' } } })),
      must<{ children: Agent[] }>(api.GET('/v1/agents/{parent}/children', { params: { path: { parent: handle } } })),
    ])
    return { agent, grants: grants.grants, audit, children: children.children }
  }, handle)
  if (error !== undefined) return <p className="error">{error}</p>
  if (data === undefined) return <p className="muted">Loading…</p>
  const { agent, grants, audit, children } = data
  const verified = audit.verification.ok
  return (
    <section>
      <h1>
        <span className="mono">{agent.handle}</span> <span className={`badge ${agent.status}`} data-testid="agent-status">{agent.status}</span>
      </h1>
      <p>
        Owner {agent.owner}{agent.status_reason === undefined ? '' : ` · ${agent.status_reason}`}
        {agent.parent === undefined ? null : <> · sub-agent of <a href={href('agents', agent.parent)} className="mono">{agent.parent}</a></>}
        {agent.expires_at === undefined ? null : ` · lapses ${agent.expires_at}`}
      </p>
      {can(me, 'revoke') && agent.status !== 'revoked' && !revoking ? (
        <button type="button" className="danger" data-testid="revoke" onClick={() => setRevoking(true)}>Revoke…</button>
      ) : null}
      {revoking ? <RevokeFlow confirmWord={agent.handle} plan={async () => [await planAgent(agent.handle)]} start={async (reason) => {
        const { revocation } = await must<{ revocation: { id: string } }>(api.POST('/v1/agents/{handle}/revoke', { params: { path: { handle: agent.handle } }, body: { reason } }))
        return [revocation.id]
      }} onDone={reload} /> : null}

      <h2>Trust tier {agent.trust.tier}</h2>
      <p>{agent.trust.reason} (since {agent.trust.since}){agent.trust.next_promotion === null ? '' : `; next: tier ${agent.trust.next_promotion.to}`}; incidents {agent.trust.incidents.total}</p>

      <h2>Bindings</h2>
      <table>
        <thead><tr><th>System</th><th>Ceiling</th><th>Min tier</th><th>Status</th></tr></thead>
        <tbody>
          {agent.bindings.map((b) => <tr key={b.id}><td>{b.system}</td><td>{b.ceiling.join(' ')}</td><td>{b.min_tier}</td><td>{b.status}</td></tr>)}
        </tbody>
      </table>

      <h2>Live grants</h2>
      <table data-testid="grants">
        <thead><tr><th>Grant</th><th>System</th><th>Scopes</th><th>Issued</th><th>Expires</th></tr></thead>
        <tbody>
          {grants.map((g) => <tr key={g.id}><td className="mono">{g.id}</td><td>{g.system}</td><td>{g.scopes.join(' ')}</td><td>{g.created_at}</td><td>{g.expires_at ?? '—'}</td></tr>)}
        </tbody>
      </table>

      <h2>Sub-agents</h2>
      {children.length === 0 ? <p className="muted">No sub-agents. A revoke or suspend of this agent reaches every one it spawns.</p> : (
        <table data-testid="children">
          <thead><tr><th>Handle</th><th>Status</th><th>Created</th><th>Lapses</th></tr></thead>
          <tbody>
            {children.map((c) => <tr key={c.handle}><td><a href={href('agents', c.handle)} className="mono">{c.handle}</a></td><td><span className={`badge ${c.status}`}>{c.status}</span></td><td>{c.created_at}</td><td>{c.expires_at ?? '—'}</td></tr>)}
          </tbody>
        </table>
      )}

      <h2>
        Audit chain <span className={`badge ${verified ? 'ok' : 'broken'}`} data-testid="audit-badge">{verified ? `verified (${audit.verification.length ?? 0})` : `broken at ${audit.verification.broken_at ?? '?'}`}</span>{' '}
        <button type="button" onClick={() => void exportAudit(agent.handle)}>Export</button>{' '}
        <button type="button" onClick={reload}>Refresh</button>
      </h2>
      {verified ? null : <p className="error">{audit.verification.reason}</p>}
      <table>
        <thead><tr><th>#</th><th>At</th><th>Actor</th><th>Action</th><th>Target</th><th>Outcome</th></tr></thead>
        <tbody>
          {audit.events.map((e) => <tr key={e.seq}><td>{e.seq}</td><td>{e.at}</td><td>{e.actor}</td><td>{e.action}</td><td className="mono">{e.target}</td><td>{e.outcome}</td></tr>)}
        </tbody>
      </table>
    </section>
  )
}
