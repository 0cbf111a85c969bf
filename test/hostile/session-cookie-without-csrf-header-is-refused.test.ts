import { expect, it } from 'vitest'
import { hostileBroker } from '../support/hostile.js'

const h = hostileBroker()

/** A signed-in console session: its cookie, as the browser holds it. */
async function session(roles: string[]): Promise<{ cookie: string; subject: string; token: string }> {
  const subject = `csrf-${roles.join('-')}-${Date.now()}@acme.test`
  const { token } = (await h.t.admin('POST', '/v1/admins', { subject, roles })).body as { token: string }
  const signIn = await fetch(`${h.t.url}/console/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) })
  return { cookie: (signIn.headers.get('set-cookie') ?? '').split(';')[0]!, subject, token }
}

// What a page on another site can make the browser send: the cookie rides along (were it not
// SameSite=Strict), but no custom header. The revoke must not happen.
it('refuses a cookie-authenticated /v1 write without X-Lanyard-CSRF: 1 with 401, and changes nothing', async () => {
  const { cookie } = await session(['responder'])
  const attempts: Array<Record<string, string>> = [{ cookie, 'content-type': 'application/json' }, { cookie, 'content-type': 'application/json', 'x-lanyard-csrf': '0' }]
  for (const headers of attempts) {
    const forged = await fetch(`${h.t.url}/v1/agents/${h.other.handle}/suspend`, { method: 'POST', headers, body: JSON.stringify({ reason: 'forged' }) })
    expect(forged.status).toBe(401)
    expect(await forged.json()).toMatchObject({ code: 'ERR_CLIENT_UNAUTHORIZED', detail: expect.stringContaining('X-Lanyard-CSRF: 1') })
  }
  expect((await h.t.admin('GET', `/v1/agents/${h.other.handle}`)).body).toMatchObject({ status: 'active' })
  await h.expectNothingMinted()
})

it('ends the console session of an admin whose token is revoked', async () => {
  const { cookie, subject } = await session(['auditor'])
  const me = () => fetch(`${h.t.url}/v1/me`, { headers: { cookie, 'x-lanyard-csrf': '1' } })
  expect((await me()).status).toBe(200)
  await h.t.admin('DELETE', `/v1/admins/${subject}`)
  expect((await me()).status).toBe(401)
})
