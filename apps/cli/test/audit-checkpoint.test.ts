import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startCliBroker, type CliBroker } from './cli-broker.js'
import { runCli } from './run-cli.js'

/**
 * Someone with write access to the store deletes an agent's newest audit event together with
 * the head kept beside it: the broker and a fresh export both still verify. A signed checkpoint
 * kept outside the broker (from GET /v1/audit/checkpoints) catches it, online and offline.
 */
const handle = 'cut-bot@agents.cli.test'
const adminToken = `test-admin-token-${randomBytes(12).toString('hex')}`
let started: CliBroker

beforeAll(async () => {
  started = await startCliBroker({ adminToken, config: { logLevel: 'silent', systems: [{ name: 'mem', type: 'memory', upstream: `cli-${randomBytes(4).toString('hex')}` }] } })
})
afterAll(() => started?.close())

it('audit --verify --checkpoint and audit verify-file --checkpoint catch a tail deleted together with the head', async () => {
  const { dir, broker, env } = started
  await started.admin('POST', '/v1/agents', { handle, owner: 'sec@acme.test' })
  await started.admin('POST', `/v1/agents/${handle}/suspend`, { reason: 'first' })
  const before = await started.admin<{ events: Array<{ seq: number; hash: string }> }>('GET', `/v1/agents/${handle}/audit`)
  const newest = before.events.at(-1)!
  expect(newest.seq).toBeGreaterThan(1)

  await broker.lanyard.publishCheckpoint()
  const listed = await started.admin<{ checkpoints: Array<{ root: string; heads: Array<{ handle: string; seq: number; hash: string }>; token: string; head: unknown }> }>('GET', `/v1/audit/checkpoints?handle=${handle}`)
  expect(listed.checkpoints[0]).toMatchObject({ head: { handle, seq: newest.seq, hash: newest.hash }, token: expect.stringMatching(/^eyJ/) })
  await writeFile(join(dir, 'checkpoint.json'), JSON.stringify(listed))
  const altered = structuredClone(listed)
  altered.checkpoints[0]!.heads.find((h) => h.handle === handle)!.seq = newest.seq - 1
  await writeFile(join(dir, 'altered.json'), JSON.stringify(altered))

  // The tail and the head on the agent record go together, as a careful intruder would do it.
  const db = new BetterSqlite3((broker.config.store as { path: string }).path)
  const previous = before.events.at(-2)!
  db.prepare('DELETE FROM audit_events WHERE handle = ? AND seq = ?').run(handle, newest.seq)
  db.prepare('UPDATE agents SET audit_seq = ?, audit_hash = ? WHERE handle = ?').run(previous.seq, previous.hash, handle)
  db.close()

  const cli = (...args: string[]) => runCli(args, { env, cwd: dir })
  const [plain, online, exported] = await Promise.all([cli('audit', handle, '--verify'), cli('audit', handle, '--verify', '--checkpoint', 'checkpoint.json'), cli('audit', handle, '--format', 'jsonl')])
  expect(plain.code).toBe(0)
  expect(online.code).toBe(1)
  expect(online.stdout).toContain(`offline: chain BROKEN at seq ${newest.seq}`)
  await writeFile(join(dir, 'events.jsonl'), exported.stdout)
  const offline = { LANYARD_URL: 'http://127.0.0.1:9' }
  const [file, withCheckpoint, withAltered] = await Promise.all([
    runCli(['audit', 'verify-file', 'events.jsonl', '--handle', handle], { env: offline, cwd: dir }),
    runCli(['audit', 'verify-file', 'events.jsonl', '--handle', handle, '--checkpoint', 'checkpoint.json'], { env: offline, cwd: dir }),
    runCli(['audit', 'verify-file', 'events.jsonl', '--handle', handle, '--checkpoint', 'altered.json'], { env: offline, cwd: dir }),
  ])
  expect(file.code).toBe(0)
  expect(withCheckpoint.code).toBe(1)
  expect(withCheckpoint.stdout).toMatch(new RegExp(`^chain BROKEN at seq ${newest.seq}: the chain ends at seq ${previous.seq} but the recorded head is seq ${newest.seq}`))
  expect(withAltered).toMatchObject({ code: 1, stderr: expect.stringContaining('do not hash to its root') })
})
