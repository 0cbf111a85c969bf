import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestBroker } from '../support/broker.js'
import { deleteKeys, runPrefix, sharedRedisUrl, startReplicas } from '../support/replicas.js'

// #18: the bootstrap token exists to create the first admin. `admins retire-bootstrap` records
// its retirement in the store, so a replica that never saw the call refuses it too, and a
// replica that cached "not retired" does not keep serving it.
describe('retiring the bootstrap token on one broker retires it on every broker of the store', () => {
  const keyPrefix = runPrefix()
  let a: TestBroker
  let b: TestBroker

  beforeAll(async () => {
    ;[a, b] = (await startReplicas({ redisUrls: [sharedRedisUrl, sharedRedisUrl], keyPrefix })) as [TestBroker, TestBroker]
  })
  afterAll(async () => {
    await Promise.allSettled([a?.close(), b?.close()])
    await deleteKeys([sharedRedisUrl], keyPrefix)
  })

  it('B refuses the bootstrap token once A retired it; named admins keep working on both', async () => {
    // B has served the bootstrap token before: it must not remember that.
    expect((await b.admin('GET', '/v1/me')).body).toMatchObject({ principal: 'admin:bootstrap' })
    const created = await a.admin('POST', '/v1/admins', { subject: 'first@acme.test', roles: ['admin'] })
    expect(created.status).toBe(201)
    const token = created.body.token as string

    const retired = await a.admin('POST', '/v1/admins/bootstrap/retire', undefined, token)
    expect(retired).toMatchObject({ status: 200, body: { bootstrap_retired: true } })
    for (const broker of [a, b]) {
      const refused = await broker.admin('GET', '/v1/me')
      expect(refused).toMatchObject({ status: 401, body: { code: 'ERR_CLIENT_UNAUTHORIZED' } })
      expect((await broker.admin('GET', '/v1/me', undefined, token)).body).toMatchObject({ principal: 'admin:first@acme.test', via: 'token' })
    }
    // Both sides see it listed, and the admin chain records who retired it, and verifies.
    expect((await b.admin('GET', '/v1/admins', undefined, token)).body).toMatchObject({ bootstrap_retired: true })
    const chain = await b.admin('GET', '/v1/audit/admin?verify=1', undefined, token)
    expect(chain.body.events.map((e: { action: string; actor: string }) => [e.action, e.actor])).toEqual([
      ['admin.created', 'admin:bootstrap'],
      ['bootstrap.retired', 'admin:first@acme.test'],
    ])
    expect(chain.body.verification).toMatchObject({ ok: true, length: 2 })
  })
})
