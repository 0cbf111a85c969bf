import { useState, type FormEvent } from 'react'
import { api, must } from '../api/client.js'
import type { Agent, Grant, WhoisMatch } from '../api/wire.js'
import { href } from '../route.js'
import { useLoad } from '../use-load.js'

interface Row {
  agent: Agent
  systems: string[]
  live: number
}

/** An agent with what it is bound to and how many grants are live. */
async function row(agent: Agent): Promise<Row> {
  const [detail, grants] = await Promise.all([
    must<{ bindings: { system: string; status: string }[] }>(api.GET('/v1/agents/{handle}', { params: { path: { handle: agent.handle } } })),
    must<{ grants: Grant[] }>(api.GET('/v1/agents/{handle}/grants', { params: { path: { handle: agent.handle }, query: { status: 'live' } } })),
  ])
  return { agent, systems: detail.bindings.filter((b) => b.status === 'active').map((b) => b.system), live: grants.grants.length }
}

/**
 * Whois: which agent a credential belongs to. Tried under every attribution key the configured
 * systems name (a GitHub `hashed_token`, an AWS access key id, a grant id, ...).
 */
async function whois(value: string): Promise<WhoisMatch[]> {
  const { systems } = await must<{ systems: { whois_keys: string[] }[] }>(api.GET('/v1/systems'))
  const keys = [...new Set(systems.flatMap((s) => s.whois_keys))]
  const found = await Promise.all(
    keys.map((key) =>
      must<{ matches: WhoisMatch[] }>(api.GET('/v1/whois', { params: { query: { query: { [key]: value } } }, querySerializer: { object: { style: 'form', explode: true } } })),
    ),
  )
  return found.flatMap((f) => f.matches)
}

type Status = '' | 'active' | 'suspended' | 'revoked'

/** Agents: status, tier, owner, systems, live grants; filters; a search that takes whois keys too. */
export function AgentsPage() {
  const [status, setStatus] = useState<Status>('')
  const [owner, setOwner] = useState('')
  const [search, setSearch] = useState('')
  const [whoisMatches, setWhoisMatches] = useState<WhoisMatch[]>()
  const [searchError, setSearchError] = useState<string>()
  const { data, error } = useLoad(async () => {
    const query = { ...(status === '' ? {} : { status }), ...(owner === '' ? {} : { owner }), limit: 500 }
    const { agents } = await must<{ agents: Agent[] }>(api.GET('/v1/agents', { params: { query } }))
    return Promise.all(agents.map(row))
  }, `${status}|${owner}`)

  const runSearch = async (event: FormEvent) => {
    event.preventDefault()
    setSearchError(undefined)
    setWhoisMatches(undefined)
    const value = search.trim()
    if (value === '' || (data ?? []).some((r) => r.agent.handle.includes(value))) return
    try {
      setWhoisMatches(await whois(value))
    } catch (e) {
      setSearchError(e instanceof Error ? e.message : String(e))
    }
  }
  const needle = search.trim()
  const rows = (data ?? []).filter((r) => needle === '' || whoisMatches !== undefined || r.agent.handle.includes(needle) || r.agent.owner.includes(needle))
  const shown = whoisMatches === undefined ? rows : rows.filter((r) => whoisMatches.some((m) => m.handle === r.agent.handle))

  return (
    <section>
      <h1>Agents</h1>
      <form className="filters" onSubmit={(e) => void runSearch(e)}>
        <input name="search" placeholder="handle, owner, or a whois key (hashed_token, access key id, grant id)" value={search} onChange={(e) => { setSearch(e.target.value); setWhoisMatches(undefined) }} />
        <button type="submit">Search</button>
        <select name="status" value={status} onChange={(e) => setStatus(e.target.value as Status)}>
          <option value="">any status</option>
          <option value="active">active</option>
          <option value="suspended">suspended</option>
          <option value="revoked">revoked</option>
        </select>
        <input name="owner" placeholder="owner" value={owner} onChange={(e) => setOwner(e.target.value)} />
      </form>
      {whoisMatches === undefined ? null : (
        <p className="muted" data-testid="whois-result">
          {whoisMatches.length === 0 ? 'No agent holds that credential.' : whoisMatches.map((m) => `${m.handle} holds ${m.system} grant ${m.grant_id} (${m.status})`).join('; ')}
        </p>
      )}
      {searchError === undefined ? null : <p className="error">{searchError}</p>}
      {error !== undefined ? <p className="error">{error}</p> : data === undefined ? <p className="muted">Loading…</p> : (
        <table data-testid="agents">
          <thead>
            <tr><th>Handle</th><th>Status</th><th>Tier</th><th>Owner</th><th>Systems</th><th>Live grants</th></tr>
          </thead>
          <tbody>
            {shown.map(({ agent, systems, live }) => (
              <tr key={agent.handle}>
                <td><a href={href('agents', agent.handle)}>{agent.handle}</a></td>
                <td><span className={`badge ${agent.status}`}>{agent.status}</span></td>
                <td>{agent.tier}</td>
                <td>{agent.owner}</td>
                <td>{systems.join(', ')}</td>
                <td>{live}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
