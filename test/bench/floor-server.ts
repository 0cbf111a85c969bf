import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'

// The `floor` subject of the exchange bench: the least a durable exchange can cost here. A
// plain node:http server that, per POST, reads the form, checks the subject token against a
// cache of tokens it has seen (the broker caches its verified tokens the same way), then makes
// the broker's two durable writes, each group-committed per event-loop turn on SQLite (WAL,
// synchronous=FULL): the grant `pending` with a hash-chained audit event, then the grant
// `live` with a second one; and answers a random token. No framework, no policy, no connector,
// no metrics, no logs. Prints `listening <url>`; stops on SIGTERM.
const dir = mkdtempSync(join(tmpdir(), 'lanyard-bench-floor-'))
const db = new BetterSqlite3(join(dir, 'floor.db'))
db.pragma('journal_mode = WAL')
db.pragma('synchronous = FULL')
db.exec(`CREATE TABLE grants (id TEXT PRIMARY KEY, handle TEXT NOT NULL, status TEXT NOT NULL, scope TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER);
CREATE TABLE audit (handle TEXT NOT NULL, seq INTEGER NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (handle, seq));`)
const insertGrant = db.prepare('INSERT INTO grants (id, handle, status, scope, created_at) VALUES (?, ?, ?, ?, ?)')
const settleGrant = db.prepare("UPDATE grants SET status = 'live', expires_at = ? WHERE id = ? AND status = 'pending'")
const insertEvent = db.prepare('INSERT INTO audit (handle, seq, prev_hash, hash, body) VALUES (?, ?, ?, ?, ?)')

/** Each agent's chain head, in memory (one process owns the file). */
const heads = new Map<string, { seq: number; hash: string }>()

function appendEvent(handle: string, action: string, grantId: string): void {
  const head = heads.get(handle) ?? { seq: 0, hash: '0'.repeat(64) }
  const body = JSON.stringify({ action, at: new Date().toISOString(), grantId, handle, prevHash: head.hash, seq: head.seq + 1 })
  const hash = createHash('sha256').update(body).digest('hex')
  insertEvent.run(handle, head.seq + 1, head.hash, hash, body)
  heads.set(handle, { seq: head.seq + 1, hash })
}

let queue: Array<{ run: () => void; done: (error?: unknown) => void }> = []
function write(run: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    if (queue.push({ run, done: (error) => (error === undefined ? resolve() : reject(error)) }) === 1) setImmediate(flush)
  })
}
function flush(): void {
  const batch = queue
  queue = []
  try {
    db.exec('BEGIN IMMEDIATE')
    for (const item of batch) item.run()
    db.exec('COMMIT')
  } catch (error) {
    if (db.inTransaction) db.exec('ROLLBACK')
    for (const item of batch) item.done(error)
    return
  }
  for (const item of batch) item.done()
}

/** Subject tokens seen before, by value: the handle they name (`sub`). */
const tokens = new Map<string, string>()
function handleOf(token: string): string | undefined {
  const cached = tokens.get(token)
  if (cached !== undefined) return cached
  const payload = token.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const sub = (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub?: unknown }).sub
    if (typeof sub !== 'string') return undefined
    tokens.set(token, sub)
    return sub
  } catch {
    return undefined
  }
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) }).end(text)
}

async function exchange(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let raw = ''
  req.setEncoding('utf8')
  for await (const chunk of req) raw += chunk as string
  const form = new URLSearchParams(raw)
  const handle = handleOf(form.get('subject_token') ?? '')
  const scope = form.get('scope')
  if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange' || handle === undefined || scope === null) {
    return answer(res, 400, { error: 'invalid_request' })
  }
  const grantId = randomUUID()
  await write(() => {
    insertGrant.run(grantId, handle, 'pending', scope, Date.now())
    appendEvent(handle, 'grant.pending', grantId)
  })
  await write(() => {
    settleGrant.run(Date.now() + 600_000, grantId)
    appendEvent(handle, 'grant.live', grantId)
  })
  answer(res, 200, { access_token: randomBytes(24).toString('base64url'), issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: 600, scope })
}

const server = createServer((req, res) => void exchange(req, res).catch(() => answer(res, 503, { error: 'temporarily_unavailable' })))
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`))
process.once('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
    process.exit(0)
  })
})
