import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { expect, it } from 'vitest'
import { hostileBroker } from '../support/hostile.js'

const h = hostileBroker()

// Someone with write access to the SQLite file rewrites who created an admin (hiding that an
// admin was made by a token that should not have), then deletes the newest admin event. The
// admin chain is sealed like an agent's: the first edit breaks that event's hash, the cut is
// caught by the head kept beside the chain.
it.skipIf(process.env.LANYARD_TEST_STORE === 'redis')('the admin audit chain, edited or cut in the store, fails verification there', async () => {
  await h.t.admin('POST', '/v1/admins', { subject: 'first@acme.test', roles: ['admin'] })
  await h.t.admin('POST', '/v1/admins', { subject: 'second@acme.test', roles: ['auditor'] })
  await h.t.admin('DELETE', '/v1/admins/second@acme.test')
  const before = await h.t.admin('GET', '/v1/audit/admin?verify=1')
  expect(before.body.verification).toEqual({ ok: true, length: 3, head: before.body.events[2].hash })
  expect(before.body.events.map((e: { action: string; target: string }) => [e.action, e.target])).toEqual([
    ['admin.created', 'admin:first@acme.test'],
    ['admin.created', 'admin:second@acme.test'],
    ['admin.revoked', 'admin:second@acme.test'],
  ])

  const db = new BetterSqlite3(join(h.t.dataDir, 'lanyard.db'))
  try {
    expect(db.prepare("UPDATE audit_events SET actor = 'admin:first@acme.test' WHERE handle = '@admins' AND seq = 2").run().changes).toBe(1)
  } finally {
    db.close()
  }
  expect((await h.t.admin('GET', '/v1/audit/admin?verify=1')).body.verification).toMatchObject({ ok: false, broken_at: 2, reason: expect.stringMatching(/hash/) })

  const again = new BetterSqlite3(join(h.t.dataDir, 'lanyard.db'))
  try {
    again.prepare("UPDATE audit_events SET actor = 'admin:bootstrap' WHERE handle = '@admins' AND seq = 2").run()
    again.prepare("DELETE FROM audit_events WHERE handle = '@admins' AND seq = 3").run()
  } finally {
    again.close()
  }
  const cut = await h.t.admin('GET', '/v1/audit/admin?verify=1')
  expect(cut.body.events).toHaveLength(2)
  expect(cut.body.verification).toMatchObject({ ok: false, broken_at: 3, reason: expect.stringMatching(/missing/) })
  await h.expectNothingMinted()
})
