import { startSignInSandbox, type SignInSandbox } from '@lanyard/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestBroker, type TestBroker } from '../support/broker.js'

// The console's public address as the provider knows it (a proxy in front of the broker in
// production); the test delivers the provider's redirect to the broker itself.
const publicCallback = 'http://console.lanyard.test/console/callback'

/** A browser's cookie jar for one site, and its manual walk through redirects. */
function browser() {
  const jar = new Map<string, string>()
  return {
    async get(url: string, extra: Record<string, string> = {}) {
      const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ')
      const response = await fetch(url, { redirect: 'manual', headers: { ...(cookie ? { cookie } : {}), ...extra } })
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';')
        const eq = pair!.indexOf('=')
        const value = pair!.slice(eq + 1)
        if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(pair!.slice(0, eq))
        else jar.set(pair!.slice(0, eq), value)
      }
      return response
    },
    cookie: (name: string) => jar.get(name),
  }
}

describe('console sign-in through the OpenID Provider (authorization code + PKCE)', () => {
  let idp: SignInSandbox
  let t: TestBroker

  beforeAll(async () => {
    idp = await startSignInSandbox({
      clients: [{ clientId: 'lanyard-console', clientSecret: 'console-secret-0123456789', redirectUris: [publicCallback] }],
      users: { alice: { email: 'Alice@acme.test', groups: ['staff', 'sec-responders'] }, bob: { email: 'bob@acme.test', groups: ['staff'] } },
    })
    t = await startTestBroker({
      config: {
        sandbox: true,
        console: { oidc: { issuer: idp.issuer, clientId: 'lanyard-console', clientSecret: { env: 'CONSOLE_SECRET' }, redirectUri: publicCallback, rolesClaim: 'groups', roleMap: { 'sec-responders': 'responder', 'sec-auditors': 'auditor' } } },
      },
      env: { CONSOLE_SECRET: 'console-secret-0123456789' },
    })
  })
  afterAll(async () => {
    await t?.close()
    await idp?.close()
  })

  /** Login redirect -> the provider's authorize and login pages -> the callback at the broker. */
  async function signIn(as: string | undefined) {
    idp.signInAs(as)
    const b = { broker: browser(), idp: browser() }
    const login = await b.broker.get(`${t.url}/console/login`)
    expect(login.status).toBe(302)
    let location = login.headers.get('location')!
    const authorize = new URL(location)
    expect(authorize.origin).toBe(idp.issuer)
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256')
    expect(authorize.searchParams.get('scope')).toBe('openid email groups')
    for (let hops = 0; location.startsWith(idp.issuer) && hops < 10; hops++) {
      location = new URL((await b.idp.get(location)).headers.get('location')!, idp.issuer).href
    }
    expect(location.startsWith(publicCallback)).toBe(true)
    const callback = await b.broker.get(`${t.url}/console/callback${new URL(location).search}`)
    return { callback, session: b.broker.cookie('lanyard_session'), b }
  }

  it('maps the groups claim to roles: the session cookie makes /v1/me show the responder', async () => {
    const { callback, session } = await signIn('alice')
    expect(callback.status).toBe(302)
    expect(callback.headers.get('location')).toBe('/console/')
    expect(callback.headers.getSetCookie().find((c) => c.startsWith('lanyard_session='))).toMatch(/HttpOnly.*SameSite=Strict|SameSite=Strict.*HttpOnly/)
    const me = await fetch(`${t.url}/v1/me`, { headers: { cookie: `lanyard_session=${session}`, 'x-lanyard-csrf': '1' } })
    expect(await me.json()).toEqual({ principal: 'admin:alice@acme.test', subject: 'alice@acme.test', roles: ['responder'], via: 'oidc' })
    // The sign-in is on the admin chain, which verifies.
    const chain = await t.admin('GET', '/v1/audit/admin?verify=1')
    expect(chain.body.events.at(-1)).toMatchObject({ action: 'console.signed-in', actor: 'admin:alice@acme.test', details: { via: 'oidc', roles: ['responder'] } })
    expect(chain.body.verification).toMatchObject({ ok: true })
  })

  it('refuses a person whose groups map to no role, and a callback without the pending login', async () => {
    const { callback, session } = await signIn('bob')
    expect(callback.status).toBe(403)
    expect(await callback.json()).toMatchObject({ code: 'ERR_ROLE_REQUIRED' })
    expect(session).toBeUndefined()
    const forged = await fetch(`${t.url}/console/callback?code=stolen&state=guess`, { redirect: 'manual' })
    expect(forged.status).toBe(401)
    expect(await forged.json()).toMatchObject({ code: 'ERR_CLIENT_UNAUTHORIZED' })
  })

  it('refuses a callback whose state is not the one the login set (cross-site login forgery)', async () => {
    // A login the attacker started and finished at the provider: its code and state are sent
    // to the victim's callback, whose pending login (state, nonce, verifier) is another.
    idp.signInAs('alice')
    const victim = browser()
    await victim.get(`${t.url}/console/login`)
    const attacker = browser()
    const attackerLogin = await attacker.get(`${t.url}/console/login`)
    let location = attackerLogin.headers.get('location')!
    const idpJar = browser()
    for (let hops = 0; location.startsWith(idp.issuer) && hops < 10; hops++) location = new URL((await idpJar.get(location)).headers.get('location')!, idp.issuer).href
    const forged = await victim.get(`${t.url}/console/callback${new URL(location).search}`)
    expect(forged.status).toBe(401)
    expect(victim.cookie('lanyard_session')).toBeUndefined()
  })
})
