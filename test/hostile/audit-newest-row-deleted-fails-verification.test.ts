import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { expect, it } from 'vitest'
import { hostileBroker } from '../support/hostile.js'

const h = hostileBroker()

// Someone with write access to the SQLite file deletes an agent's newest audit row. The chain
// left still links from seq 1, so only the head kept on the agent record (written in the same
// transaction as each event) shows it was cut: verification fails at the missing seq.
it.skipIf(process.env.LANYARD_TEST_STORE === 'redis')('an audit chain with its newest row deleted in the store fails verification there', async () => {
  const handle = h.agent.handle
  const path = `/v1/agents/${encodeURIComponent(handle)}/audit?verify=1`
  const before = await h.t.admin('GET', path)
  expect(before.status).toBe(200)
  expect(before.body.verification).toMatchObject({ ok: true })
  const newest = before.body.events.at(-1) as { seq: number }
  expect(newest.seq).toBeGreaterThan(1)

  const db = new BetterSqlite3(join(h.t.dataDir, 'lanyard.db'))
  try {
    expect(db.prepare('DELETE FROM audit_events WHERE handle = ? AND seq = ?').run(handle, newest.seq).changes).toBe(1)
  } finally {
    db.close()
  }

  const after = await h.t.admin('GET', path)
  expect(after.status).toBe(200)
  expect(after.body.events).toHaveLength(before.body.events.length - 1)
  expect(after.body.verification).toMatchObject({ ok: false, broken_at: newest.seq })
  expect(after.body.verification.reason).toMatch(/missing/)
  await h.expectNothingMinted()
})
