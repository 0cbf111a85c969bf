import { useCallback, useEffect, useState } from 'react'
import { api, ApiError, must } from './api/client.js'
import type { Me } from './api/wire.js'
import { AgentPage } from './pages/AgentPage.js'
import { AgentsPage } from './pages/AgentsPage.js'
import { ApprovalsPage } from './pages/ApprovalsPage.js'
import { OwnersPage } from './pages/OwnersPage.js'
import { RevocationsPage } from './pages/RevocationsPage.js'
import { SignInPage } from './pages/SignInPage.js'
import { WebhooksPage } from './pages/WebhooksPage.js'
import { href, useRoute } from './route.js'
import { SessionContext } from './session.js'

const sections = [
  ['agents', 'Agents'],
  ['approvals', 'Approvals'],
  ['revocations', 'Revocations'],
  ['webhooks', 'Webhooks'],
  ['owners', 'Owners'],
] as const

/** The console: signed out, the sign-in page; signed in, the sections. */
export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined)
  const [error, setError] = useState<string>()
  const route = useRoute()
  const whoAmI = useCallback(() => {
    must<Me>(api.GET('/v1/me')).then(setMe, (e: unknown) => {
      if (e instanceof ApiError && e.status === 401) setMe(null)
      else setError(e instanceof Error ? e.message : String(e))
    })
  }, [])
  useEffect(whoAmI, [whoAmI])

  if (error !== undefined) return <p className="error">{error}</p>
  if (me === undefined) return <p className="muted">Loading…</p>
  if (me === null) return <SignInPage onSignedIn={whoAmI} />

  const signOut = async () => {
    await must(api.DELETE('/console/session'))
    setMe(null)
  }
  const [section = 'agents', ...rest] = route
  return (
    <SessionContext.Provider value={me}>
      <header className="top">
        <strong>Lanyard</strong>
        <nav>
          {sections.map(([id, label]) => (
            <a key={id} href={href(id)} className={section === id ? 'current' : ''}>
              {label}
            </a>
          ))}
        </nav>
        <span className="who" data-testid="who">
          {me.subject} ({me.roles.join(', ')})
        </span>
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <main>{page(section, rest)}</main>
    </SessionContext.Provider>
  )
}

function page(section: string, rest: string[]) {
  switch (section) {
    case 'agents':
      return rest[0] === undefined ? <AgentsPage /> : <AgentPage handle={rest[0]} />
    case 'approvals':
      return <ApprovalsPage />
    case 'revocations':
      return <RevocationsPage id={rest[0]} />
    case 'webhooks':
      return <WebhooksPage />
    case 'owners':
      return <OwnersPage />
    default:
      return <p>No such page.</p>
  }
}
