import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import BetterSqlite3 from 'better-sqlite3'
import { verifyAuditChain, type AuditDraft } from '@lanyard/core'
import { FakeClock } from '@lanyard/core/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { createSqliteStore } from '../src/index.js'
import { loadMigrations, migrate } from '../src/migrate.js'
import { openDatabase } from '../src/open-database.js'
import { translateError } from '../src/translate-error.js'

const folder = mkdtempSync(join(tmpdir(), 'lanyard-sqlite-'))
afterAll(() => rmSync(folder, { recursive: true, force: true }))
let files = 0
const newPath = () => join(folder, `db-${++files}.db`)

const clock = new FakeClock()
const draft = (action: string, target: string): AuditDraft => ({ at: clock.now(), actor: 'admin:test', action, target, outcome: 'success', details: {} })
const agent = (handle: string) => ({ handle, owner: 'ops@acme.test', status: 'active' as const, tier: 1 as const, generation: 1, labels: { env: 'prod' }, createdAt: clock.now(), updatedAt: clock.now() })

describe('createSqliteStore', () => {
  it('keeps everything across close and reopen: agents, grants, audit chain, signing keys', async () => {
    const path = newPath()
    const first = await createSqliteStore({ path, clock })
    await first.createAgent(agent('keep@agents.acme.dev'), draft('agent.created', 'keep@agents.acme.dev'))
    await first.putBinding({ id: 'b1', handle: 'keep@agents.acme.dev', system: 'github-acme', target: { installationId: 1 }, ceiling: ['contents:read'], minTier: 0, createdAt: clock.now() }, draft('binding.put', 'b1'))
    await first.beginGrant({ id: 'g1', handle: 'keep@agents.acme.dev', bindingId: 'b1', system: 'github-acme', connectorType: 'github', scopes: ['contents:read'], status: 'pending', createdAt: clock.now(), index: {} }, 1, draft('grant.requested', 'g1'))
    await first.settleGrant('keep@agents.acme.dev', 'g1', { status: 'live', expiresAt: clock.now(), ref: { sha: 'abc' }, index: { github_hashed_token: 'abc' } }, draft('grant.issued', 'g1'))
    await first.putSigningKey({ kid: 'k1', alg: 'EdDSA', publicJwk: { kty: 'OKP' }, sealedPrivateKey: 'sealed', createdAt: clock.now() })
    const chain = await first.readAudit('keep@agents.acme.dev')
    await first.close()

    const again = await createSqliteStore({ path, clock })
    expect(await again.getAgent('keep@agents.acme.dev')).toEqual(agent('keep@agents.acme.dev'))
    expect(await again.findGrants('github_hashed_token', 'abc')).toMatchObject([{ id: 'g1', status: 'live', ref: { sha: 'abc' } }])
    expect(await again.readAudit('keep@agents.acme.dev')).toEqual(chain)
    expect(verifyAuditChain(chain)).toMatchObject({ ok: true, length: 4 })
    expect(await again.listSigningKeys()).toMatchObject([{ kid: 'k1' }])
    await again.close()
  })

  it('the chain head on the agent record catches the newest audit row deleted behind the store\'s back', async () => {
    const path = newPath()
    const store = await createSqliteStore({ path, clock })
    const handle = 'cut@agents.acme.dev'
    await store.createAgent(agent(handle), draft('agent.created', handle))
    await store.appendAudit(handle, draft('note.one', handle))
    const newest = await store.appendAudit(handle, draft('note.two', handle))
    expect(await store.readAuditHead(handle)).toEqual({ seq: 3, hash: newest.hash })
    const raw = new BetterSqlite3(path)
    raw.prepare('DELETE FROM audit_events WHERE handle = ? AND seq = 3').run(handle)
    raw.close()
    const cut = await store.readAudit(handle)
    expect(verifyAuditChain(cut)).toMatchObject({ ok: true, length: 2 })
    expect(verifyAuditChain(cut, await store.readAuditHead(handle))).toMatchObject({ ok: false, brokenAt: 3 })
    // The next event is sealed on the recorded head, not on the row left last: the gap stays visible.
    expect(await store.appendAudit(handle, draft('note.three', handle))).toMatchObject({ seq: 4, prevHash: newest.hash })
    expect(verifyAuditChain(await store.readAudit(handle), await store.readAuditHead(handle))).toMatchObject({ ok: false, brokenAt: 4, reason: 'expected seq 3' })
    await store.close()
  })

  it('migration 0008 records the head of chains written before it', async () => {
    const path = newPath()
    const store = await createSqliteStore({ path, clock })
    const handle = 'old@agents.acme.dev'
    await store.createAgent(agent(handle), draft('agent.created', handle))
    const newest = await store.appendAudit(handle, draft('note.one', handle))
    await store.close()
    // As an older release left it: no head on the agent, migration 0008 not applied.
    const raw = new BetterSqlite3(path)
    raw.exec("UPDATE agents SET audit_seq = 0; DELETE FROM schema_migrations WHERE version = 8; ALTER TABLE agents DROP COLUMN audit_seq; ALTER TABLE agents DROP COLUMN audit_hash")
    raw.close()
    const again = await createSqliteStore({ path, clock })
    expect(await again.readAuditHead(handle)).toEqual({ seq: 2, hash: newest.hash })
    await again.close()
  })

  it('group commit: writes queued in one turn commit together, and one that fails there fails alone, leaving no trace', async () => {
    const store = await createSqliteStore({ path: newPath(), clock })
    const handles = ['one', 'two', 'three', 'four'].map((name) => `${name}@agents.acme.dev`)
    await store.createAgent(agent(handles[1]!), draft('agent.created', handles[1]!))
    // One batch: the second write fails at once (a duplicate), the fourth half-way (its agent
    // inserted, then its audit event cannot be sealed): neither leaves anything behind.
    const unsealable: AuditDraft = { ...draft('agent.created', handles[3]!), details: { size: 1n } }
    const outcomes = await Promise.allSettled([
      store.createAgent(agent(handles[0]!), draft('agent.created', handles[0]!)),
      store.createAgent(agent(handles[1]!), draft('agent.created again', handles[1]!)),
      store.appendAudit(handles[1]!, draft('note.after-the-failure', handles[1]!)),
      store.createAgent(agent(handles[3]!), unsealable),
      store.createAgent(agent(handles[2]!), draft('agent.created', handles[2]!)),
    ])
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled'])
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_AGENT_EXISTS' })
    expect((outcomes[3] as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_AUDIT_UNAVAILABLE' })
    expect((await store.listAgents()).map((a) => a.handle).sort()).toEqual([handles[0], handles[1], handles[2]].sort())
    expect(await store.readAudit(handles[3]!)).toEqual([])
    const chain = await store.readAudit(handles[1]!)
    expect(chain.map((event) => event.action)).toEqual(['agent.created', 'note.after-the-failure'])
    expect(verifyAuditChain(chain)).toMatchObject({ ok: true, length: 2 })
    // And a batch where nothing fails commits in one go.
    await Promise.all([store.createAgent(agent(handles[3]!), draft('agent.created', handles[3]!)), store.appendAudit(handles[0]!, draft('note', handles[0]!))])
    expect(await store.getAgent(handles[3]!)).toEqual(agent(handles[3]!))
    expect((await store.readAudit(handles[0]!)).map((event) => event.action)).toEqual(['agent.created', 'note'])
    // The first try of the failed batch sealed events that were rolled back: no chain follows them.
    for (const handle of handles) expect(verifyAuditChain(await store.readAudit(handle), await store.readAuditHead(handle))).toMatchObject({ ok: true })
    await store.close()
  })

  it('applies each migration once, recorded, idempotently at every open', async () => {
    const path = newPath()
    await (await createSqliteStore({ path, clock })).close()
    clock.advance(60_000)
    await (await createSqliteStore({ path, clock })).close()
    const db = new BetterSqlite3(path)
    expect(db.prepare('SELECT version, name, applied_at FROM schema_migrations').all()).toEqual([
      { version: 1, name: '0001-init.sql', applied_at: clock.now().getTime() - 60_000 },
      { version: 2, name: '0002-webhooks.sql', applied_at: clock.now().getTime() - 60_000 },
      { version: 3, name: '0003-revocation-outbox.sql', applied_at: clock.now().getTime() - 60_000 },
      { version: 4, name: '0004-trust-rules.sql', applied_at: clock.now().getTime() - 60_000 },
      { version: 5, name: '0005-binding-lifecycle.sql', applied_at: clock.now().getTime() - 60_000 },
      { version: 6, name: '0006-presence.sql', applied_at: clock.now().getTime() - 60_000 },
      { version: 8, name: '0008-audit-heads.sql', applied_at: clock.now().getTime() - 60_000 },
      { version: 9, name: '0009-checkpoints.sql', applied_at: clock.now().getTime() - 60_000 },
      { version: 12, name: '0012-approvals.sql', applied_at: clock.now().getTime() - 60_000 },
      { version: 13, name: '0013-tiers.sql', applied_at: clock.now().getTime() - 60_000 },
      { version: 14, name: '0014-delegation.sql', applied_at: clock.now().getTime() - 60_000 },
      { version: 15, name: '0015-admins.sql', applied_at: clock.now().getTime() - 60_000 },
      { version: 16, name: '0016-revocation-history.sql', applied_at: clock.now().getTime() - 60_000 },
    ])
    db.close()
  })

  it('upgrades a database left at an earlier migration, applying the rest in version order', async () => {
    const path = newPath()
    const old = new BetterSqlite3(path)
    // A database of the release before binding lifecycle: migrations 1 to 4 (trust rules).
    migrate(old, loadMigrations().filter((m) => m.version <= 4), clock.now())
    old.prepare("INSERT INTO agents (handle, owner, status, tier, generation, labels, created_at, updated_at) VALUES ('old@agents.acme.dev', 'o', 'active', 1, 1, '{}', 0, 0)").run()
    old.prepare("INSERT INTO bindings (handle, system, id, target, ceiling, min_tier, created_at) VALUES ('old@agents.acme.dev', 'github', 'b-old', '{}', '[]', 1, 0)").run()
    old.close()
    clock.advance(60_000)
    const store = await createSqliteStore({ path, clock })
    // A binding made before the lifecycle columns reads as active, holding no exclusive key.
    const kept = await store.getBinding('old@agents.acme.dev', 'github')
    expect(kept).toMatchObject({ id: 'b-old', status: 'active' })
    expect(kept?.exclusiveKey).toBeUndefined()
    await store.close()
    const db = new BetterSqlite3(path)
    expect(db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all()).toEqual(
      ['0001-init.sql', '0002-webhooks.sql', '0003-revocation-outbox.sql', '0004-trust-rules.sql', '0005-binding-lifecycle.sql', '0006-presence.sql', '0008-audit-heads.sql', '0009-checkpoints.sql', '0012-approvals.sql', '0013-tiers.sql', '0014-delegation.sql', '0015-admins.sql', '0016-revocation-history.sql'].map((name) => ({ version: Number(name.slice(0, 4)), name })),
    )
    expect(db.prepare('SELECT applied_at FROM schema_migrations WHERE version = 5').pluck().get()).toBe(clock.now().getTime())
    db.close()
  })

  it('refuses a database whose recorded migration of a version has another name (another build numbered it)', async () => {
    const path = newPath()
    const db = new BetterSqlite3(path)
    migrate(db, loadMigrations().filter((m) => m.version <= 3), clock.now())
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (4, ?, 0)').run('0004-binding-lifecycle.sql')
    db.close()
    await expect(createSqliteStore({ path, clock })).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', detail: expect.stringContaining('numbers differently') })
  })

  it('opens the file in WAL, synchronous=FULL, with a busy timeout and foreign keys on', () => {
    const db = openDatabase(newPath(), { busyTimeoutMs: 1_234, now: clock.now() })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('synchronous', { simple: true })).toBe(2)
    expect(db.pragma('busy_timeout', { simple: true })).toBe(1_234)
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(16_000)
    db.close()
  })

  it('refuses a database migrated by a newer release, with StoreUnavailable', async () => {
    const path = newPath()
    await (await createSqliteStore({ path, clock })).close()
    const db = new BetterSqlite3(path)
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, ?, 0)').run('0099-future.sql')
    db.close()
    await expect(createSqliteStore({ path, clock })).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', message: 'the store is unavailable', detail: expect.stringContaining('newer') })
  })

  it('fails to open an unreachable path with StoreUnavailable, the driver text in detail only', async () => {
    const error = await createSqliteStore({ path: join(folder, 'missing-folder', 'x.db') }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', message: 'the store is unavailable' })
    expect((error as { detail: string }).detail).toMatch(/missing-folder|directory/)
  })

  it('serialises writes from several processes sharing one file: no lost generation bump, one creator, one first use', async () => {
    const path = newPath()
    await (await createSqliteStore({ path, clock })).close()
    const handle = 'contended@agents.acme.dev'
    const rounds = 30
    const root = fileURLToPath(new URL('../../..', import.meta.url))
    const script = fileURLToPath(new URL('./fixtures/contend.ts', import.meta.url))
    const processes = 3
    const contenders = Array.from({ length: processes }, () => {
      const child = spawn(process.execPath, ['--conditions=lanyard-source', '--import', 'tsx', script, path, handle, String(rounds)], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] })
      let out = ''
      let err = ''
      let markReady: () => void
      const ready = new Promise<void>((resolve) => (markReady = resolve))
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        if (out.startsWith('ready\n')) markReady()
      })
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
      const result = new Promise<{ created: boolean; firsts: number }>((resolve, reject) => {
        child.on('error', reject)
        child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.slice('ready\n'.length)) as { created: boolean; firsts: number }) : reject(new Error(`contender exited ${code}: ${err}`))))
      })
      result.catch(() => markReady())
      return { child, ready, result }
    })
    await Promise.all(contenders.map((c) => c.ready))
    for (const { child } of contenders) child.stdin.end('go\n')
    const results = await Promise.all(contenders.map((c) => c.result))

    expect(results.filter((r) => r.created)).toHaveLength(1)
    expect(results.reduce((sum, r) => sum + r.firsts, 0)).toBe(rounds)
    const store = await createSqliteStore({ path, clock })
    expect((await store.getAgent(handle))?.generation).toBe(1 + processes * rounds)
    const chain = await store.readAudit(handle)
    expect(chain).toHaveLength(1 + processes * rounds)
    expect(verifyAuditChain(chain)).toMatchObject({ ok: true })
    await store.close()
  }, 30_000)
})

describe('translateError', () => {
  it('maps outage codes to StoreUnavailable and bugs to InternalFailure, keeping driver text out of the message', () => {
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
    expect(translateError(busy)).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', message: 'the store is unavailable', detail: 'sqlite SQLITE_BUSY: database is locked', cause: busy })
    expect(translateError(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' }))).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' })
    expect(translateError(new TypeError('The database connection is not open'))).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' })
    const constraint = translateError(Object.assign(new Error('NOT NULL constraint failed: agents.owner'), { code: 'SQLITE_CONSTRAINT_NOTNULL' }))
    expect(constraint).toMatchObject({ code: 'ERR_INTERNAL', message: 'internal error' })
    expect(constraint.message).not.toContain('agents')
  })
})
