import { useState } from 'react'
import { api, must } from '../api/client.js'
import type { Agent } from '../api/wire.js'
import { can, useMe } from '../session.js'
import { useLoad } from '../use-load.js'
import { planAgent, RevokeFlow } from './RevokeFlow.js'

/** Owners: who owns how many agents; revoke every agent of a person who left (dry run, confirm). */
export function OwnersPage() {
  const me = useMe()
  const [chosen, setChosen] = useState<string>()
  const { data, error, reload } = useLoad(async () => (await must<{ agents: Agent[] }>(api.GET('/v1/agents', { params: { query: { limit: 500 } } }))).agents, 'owners')
  if (error !== undefined) return <p className="error">{error}</p>
  if (data === undefined) return <p className="muted">Loading…</p>
  const owners = new Map<string, Agent[]>()
  for (const agent of data) owners.set(agent.owner, [...(owners.get(agent.owner) ?? []), agent])
  return (
    <section>
      <h1>Owners</h1>
      <table>
        <thead><tr><th>Owner</th><th>Agents</th><th>Not revoked</th><th /></tr></thead>
        <tbody>
          {[...owners].map(([owner, agents]) => {
            const open = agents.filter((a) => a.status !== 'revoked')
            return (
              <tr key={owner}>
                <td>{owner}</td><td>{agents.map((a) => a.handle).join(', ')}</td><td>{open.length}</td>
                <td>{can(me, 'revoke') && open.length > 0 ? <button type="button" className="danger" onClick={() => setChosen(owner)}>Revoke all…</button> : null}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
      {chosen === undefined ? null : (
        <RevokeFlow
          key={chosen}
          confirmWord={chosen}
          plan={() => Promise.all((owners.get(chosen) ?? []).filter((a) => a.status !== 'revoked').map((a) => planAgent(a.handle)))}
          start={async (reason) => (await must<{ revocations: { id: string }[] }>(api.POST('/v1/owners/{owner}/revoke', { params: { path: { owner: chosen } }, body: { reason } }))).revocations.map((r) => r.id)}
          onDone={reload}
        />
      )}
    </section>
  )
}
