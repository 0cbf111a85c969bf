import { FakeClock } from '@lanyard/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestBroker, type TestBroker } from '../support/broker.js'

/** #18: admin tokens can expire, console sessions do; past either, 401. Time is the broker's FakeClock. */
describe('admin token and console session expiry', () => {
  const clock = new FakeClock()
  let t: TestBroker
  beforeAll(async () => {
    t = await startTestBroker({ clock, config: { console: { sessionTtlSeconds: 900 } } })
  })
  afterAll(() => t.close())

  it('refuses an expired admin token with 401, and a console session once it expired', async () => {
    const created = await t.admin('POST', '/v1/admins', { subject: 'temp@acme.test', roles: ['responder'], expires_in_seconds: 3600 })
    expect(created.body.expires_at).toBe(new Date(clock.now().getTime() + 3_600_000).toISOString())
    const token = created.body.token as string
    const forever = (await t.admin('POST', '/v1/admins', { subject: 'perm@acme.test', roles: ['auditor'] })).body.token as string

    const signIn = await fetch(`${t.url}/console/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: forever }) })
    const session = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!
    expect(signIn.headers.get('set-cookie')).toMatch(/Max-Age=900/)
    const withSession = () => fetch(`${t.url}/v1/me`, { headers: { cookie: session, 'x-lanyard-csrf': '1' } })
    expect((await withSession()).status).toBe(200)

    clock.advance(899_000)
    expect((await withSession()).status).toBe(200)
    expect((await t.admin('GET', '/v1/me', undefined, token)).status).toBe(200)
    clock.advance(1_000)
    expect((await withSession()).status).toBe(401)

    clock.advance(2_700_000 - 1_000)
    expect((await t.admin('GET', '/v1/me', undefined, token)).status).toBe(200)
    clock.advance(1_000)
    expect((await t.admin('GET', '/v1/me', undefined, token)).body).toMatchObject({ status: 401, code: 'ERR_CLIENT_UNAUTHORIZED' })
    expect((await t.admin('GET', '/v1/me', undefined, forever)).status).toBe(200)
  })
})
