import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { SignJWT, generateKeyPair } from 'jose'
import { checkpointRoot, checkpointType } from '@lanyard/core'
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

it('audit --verify --checkpoint and audit verify-file --checkpoint catch a tail deleted together with the head', { timeout: 120_000 }, async () => {
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
  // A careful forger also moves the head back, recomputes the root and re-signs with a key of their own.
  const previousEvent = before.events.at(-2)!
  const forged = structuredClone(listed)
  const forgedHeads = forged.checkpoints[0]!.heads.map((h) => (h.handle === handle ? { ...h, seq: previousEvent.seq, hash: previousEvent.hash } : h))
  const { privateKey } = await generateKeyPair('EdDSA')
  const forgedRoot = checkpointRoot(forgedHeads)
  forged.checkpoints[0] = { ...forged.checkpoints[0]!, heads: forgedHeads, root: forgedRoot, token: await new SignJWT({ root: forgedRoot, count: forgedHeads.length }).setProtectedHeader({ alg: 'EdDSA', typ: checkpointType, kid: 'forger' }).setIssuedAt().sign(privateKey) }
  await writeFile(join(dir, 'forged.json'), JSON.stringify(forged))
  await writeFile(join(dir, 'keys.json'), JSON.stringify(await (await fetch(`${env.LANYARD_URL}/.well-known/lanyard-receipt-keys.json`)).json()))

  // The tail and the head on the agent record go together, as a careful intruder would do it.
  const db = new BetterSqlite3((broker.config.store as { path: string }).path)
  const previous = before.events.at(-2)!
  db.prepare('DELETE FROM audit_events WHERE handle = ? AND seq = ?').run(handle, newest.seq)
  db.prepare('UPDATE agents SET audit_seq = ?, audit_hash = ? WHERE handle = ?').run(previous.seq, previous.hash, handle)
  db.close()

  const cli = (...args: string[]) => runCli(args, { env, cwd: dir })
  const [plain, online, exported] = await Promise.all([cli('audit', handle, '--verify'), cli('audit', handle, '--verify', '--checkpoint', 'checkpoint.json'), cli('audit', handle, '--format', 'jsonl')])
  expect(plain.code).toBe(0)
  expect(online.code).toBe(7)
  expect(online.stdout).toContain(`offline: chain BROKEN at seq ${newest.seq}`)
  await writeFile(join(dir, 'events.jsonl'), exported.stdout)
  const offline = { LANYARD_URL: 'http://127.0.0.1:9' }
  const [file, withCheckpoint, withAltered] = await Promise.all([
    runCli(['audit', 'verify-file', 'events.jsonl', '--handle', handle], { env: offline, cwd: dir }),
    runCli(['audit', 'verify-file', 'events.jsonl', '--handle', handle, '--checkpoint', 'checkpoint.json'], { env: offline, cwd: dir }),
    runCli(['audit', 'verify-file', 'events.jsonl', '--handle', handle, '--checkpoint', 'altered.json'], { env: offline, cwd: dir }),
  ])
  expect(file.code).toBe(0)
  expect(withCheckpoint.code).toBe(7)
  expect(withCheckpoint.stdout).toMatch(new RegExp(`^chain BROKEN at seq ${newest.seq}: the chain ends at seq ${previous.seq} but the recorded head is seq ${newest.seq}`))
  expect(withAltered).toMatchObject({ code: 7, stderr: expect.stringContaining('do not hash to its root') })

  // The forged checkpoint fools a check of its arithmetic alone (a warning says so), not one of its signature.
  const verifyWith = (...args: string[]) => runCli(['audit', 'verify-file', 'events.jsonl', '--handle', handle, ...args], { env: offline, cwd: dir })
  const [unsigned, signedForged, signedGenuine, onlineForged] = await Promise.all([
    verifyWith('--checkpoint', 'forged.json'),
    verifyWith('--checkpoint', 'forged.json', '--jwks', 'keys.json'),
    verifyWith('--checkpoint', 'checkpoint.json', '--jwks', 'keys.json'),
    cli('audit', handle, '--verify', '--checkpoint', 'forged.json'),
  ])
  expect(unsigned).toMatchObject({ code: 0, stderr: expect.stringContaining('signature was not checked') })
  expect(signedForged).toMatchObject({ code: 7, stderr: expect.stringContaining('does not verify against the broker') })
  expect(signedGenuine.code).toBe(7)
  expect(signedGenuine.stdout).toContain(`chain BROKEN at seq ${newest.seq}`)
  expect(onlineForged).toMatchObject({ code: 7, stderr: expect.stringContaining('does not verify against the broker') })
})
