import BetterSqlite3 from 'better-sqlite3'
import type { Database, Statement } from 'better-sqlite3'

// oidc-provider's storage adapter on SQLite, for the durable peer of the exchange bench: the
// same durability as Lanyard's embedded store (WAL, `synchronous=FULL`, so a token answered is
// on disk), one row per token, and the same group commit: every write queued in one event-loop
// turn shares one BEGIN IMMEDIATE ... COMMIT (one fsync), run from setImmediate. Reads go
// straight to the database. Expired rows are not swept: the bench's run is minutes long.

interface Queued {
  readonly run: () => void
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

interface Shared {
  readonly db: Database
  readonly upsert: Statement
  readonly find: Statement
  readonly byUid: Statement
  readonly byUserCode: Statement
  readonly destroy: Statement
  readonly consume: Statement
  readonly revokeByGrant: Statement
  queue: Queued[]
}

let shared: Shared | undefined

/** Opens the database file once per process; every model's adapter writes into it. */
export function openPeerDatabase(path: string): void {
  const db = new BetterSqlite3(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.exec(`CREATE TABLE IF NOT EXISTS oidc (
    id TEXT NOT NULL, model TEXT NOT NULL, payload TEXT NOT NULL, expires_at INTEGER,
    grant_id TEXT, uid TEXT, user_code TEXT, consumed_at INTEGER, PRIMARY KEY (model, id))`)
  db.exec('CREATE INDEX IF NOT EXISTS oidc_grant ON oidc (grant_id) WHERE grant_id IS NOT NULL')
  shared = {
    db,
    upsert: db.prepare('INSERT OR REPLACE INTO oidc (id, model, payload, expires_at, grant_id, uid, user_code) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    find: db.prepare('SELECT payload, consumed_at FROM oidc WHERE model = ? AND id = ?'),
    byUid: db.prepare('SELECT payload, consumed_at FROM oidc WHERE model = ? AND uid = ?'),
    byUserCode: db.prepare('SELECT payload, consumed_at FROM oidc WHERE model = ? AND user_code = ?'),
    destroy: db.prepare('DELETE FROM oidc WHERE model = ? AND id = ?'),
    consume: db.prepare('UPDATE oidc SET consumed_at = ? WHERE model = ? AND id = ?'),
    revokeByGrant: db.prepare('DELETE FROM oidc WHERE grant_id = ?'),
    queue: [],
  }
}

function database(): Shared {
  if (shared === undefined) throw new Error('openPeerDatabase was not called')
  return shared
}

/** Queues `run` into this turn's batch; resolves once the batch is committed (fsynced). */
function write(run: () => void): Promise<void> {
  const s = database()
  return new Promise((resolve, reject) => {
    if (s.queue.push({ run, resolve, reject }) === 1) setImmediate(flush)
  })
}

function flush(): void {
  const s = database()
  const batch = s.queue
  s.queue = []
  try {
    s.db.exec('BEGIN IMMEDIATE')
    for (const item of batch) item.run()
    s.db.exec('COMMIT')
  } catch (error) {
    if (s.db.inTransaction) s.db.exec('ROLLBACK')
    for (const item of batch) item.reject(error)
    return
  }
  for (const item of batch) item.resolve()
}

type Payload = Record<string, unknown>

function row(found: unknown): Payload | undefined {
  if (found === undefined) return undefined
  const { payload, consumed_at } = found as { payload: string; consumed_at: number | null }
  const parsed = JSON.parse(payload) as Payload
  return consumed_at === null ? parsed : { ...parsed, consumed: consumed_at }
}

/** The adapter class oidc-provider constructs once per model (`new Adapter('ClientCredentials')`). */
export class SqliteAdapter {
  readonly model: string

  constructor(model: string) {
    this.model = model
  }

  upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
    const expiresAt = expiresIn === undefined ? null : Math.floor(Date.now() / 1000) + expiresIn
    const text = JSON.stringify(payload)
    const grantId = typeof payload.grantId === 'string' ? payload.grantId : null
    const uid = typeof payload.uid === 'string' ? payload.uid : null
    const userCode = typeof payload.userCode === 'string' ? payload.userCode : null
    return write(() => database().upsert.run(id, this.model, text, expiresAt, grantId, uid, userCode))
  }

  async find(id: string): Promise<Payload | undefined> {
    return row(database().find.get(this.model, id))
  }

  async findByUid(uid: string): Promise<Payload | undefined> {
    return row(database().byUid.get(this.model, uid))
  }

  async findByUserCode(userCode: string): Promise<Payload | undefined> {
    return row(database().byUserCode.get(this.model, userCode))
  }

  destroy(id: string): Promise<void> {
    return write(() => database().destroy.run(this.model, id))
  }

  consume(id: string): Promise<void> {
    return write(() => database().consume.run(Math.floor(Date.now() / 1000), this.model, id))
  }

  revokeByGrantId(grantId: string): Promise<void> {
    return write(() => database().revokeByGrant.run(grantId))
  }
}
