import { useState, type FormEvent } from 'react'
import { api, must } from '../api/client.js'

/** Sign in with the company's OpenID Provider, or with a named admin token (`lanyard admins create`). */
export function SignInPage({ onSignedIn }: { onSignedIn: () => void }) {
  const [token, setToken] = useState('')
  const [error, setError] = useState<string>()
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setError(undefined)
    try {
      await must(api.POST('/console/session', { body: { token } }))
      setToken('')
      onSignedIn()
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e))
    }
  }
  return (
    <div className="signin">
      <h1>Lanyard console</h1>
      <p>
        <a className="button primary" href="/console/login">
          Sign in with your identity provider
        </a>
      </p>
      <form onSubmit={(e) => void submit(e)}>
        <label>
          Or paste a named admin token
          <input name="token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />
        </label>
        <button type="submit" disabled={token === ''}>
          Sign in
        </button>
      </form>
      {error === undefined ? null : <p className="error">{error}</p>}
    </div>
  )
}
