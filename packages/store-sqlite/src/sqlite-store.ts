import type { Database, Statement } from 'better-sqlite3'
import {
  AgentExists,
  AgentNotActive,
  AgentNotFound,
  AuditUnavailable,
  GrantNotFound,
  InternalFailure,
  StoreUnavailable,
  sealAuditEvent,
  systemClock,
} from '@lanyard/core'
import type {
  Agent,
  AgentFilter,
  AgentKey,
  AuditDraft,
  AuditEvent,
  Binding,
  Clock,
  DeliveryResult,
  Grant,
  GrantSettlement,
  GrantStatus,
  Revocation,
  RevocationEvent,
  RevocationEventType,
  RevocationStart,
  RevocationTask,
  SigningKeyRecord,
  StatusChange,
  Store,
  TaskCompletion,
  TaskResult,
  Webhook,
  WebhookDelivery,
  TrustRule,
} from '@lanyard/core'
import { openDatabase } from './open-database.js'
import {
  toAgent,
  toAuditEvent,
  toBinding,
  toGrant,
  toKey,
  toRevocation,
  toSigningKey,
  toTask,
  toWebhook,
  toDelivery,
  type AgentRow,
  type AuditRow,
  type BindingRow,
  type DeliveryRow,
  type GrantRow,
  type KeyRow,
  type RevocationRow,
  type SigningKeyRow,
  type TaskRow,
  type WebhookRow,
} from './rows.js'
import { translateError } from './translate-error.js'
import { toTrustRule, type TrustRuleRow } from './trust-rule-row.js'

export interface SqliteStoreOptions {
  /** The database file. Created, with its folder's WAL side files, if it does not exist. */
  readonly path: string
  /** Stamps bookkeeping only (migrations, purges); every recorded time comes from the caller. */
  readonly clock?: Clock
  /**
   * How long a write waits for another process's write lock before failing with
   * StoreUnavailable. 5 s: a use case holds the lock for about one fsync (milliseconds), so
   * only a stuck process holds it this long.
   */
  readonly busyTimeoutMs?: number
}

/** Expired replay and revoked-token rows each write sweeps: bounded work per call, and the
 * tables stay at roughly one row per live entry. */
const purgeBatch = 16

const ms = (date: Date): number => date.getTime()
const json = (value: unknown): string => JSON.stringify(value)

/**
 * Opens (creating and migrating if needed) the embedded store. Every use case is one BEGIN
 * IMMEDIATE transaction, so processes sharing the file serialise their writes instead of
 * failing to upgrade a read lock. Throws StoreUnavailable if the file cannot be opened or was
 * written by a newer release.
 */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const clock = options.clock ?? systemClock
  return new SqliteStore(openDatabase(options.path, { busyTimeoutMs: options.busyTimeoutMs ?? 5_000, now: clock.now() }), clock)
}

interface QueuedWrite {
  readonly work: () => unknown
  readonly resolve: (value: unknown) => void
  readonly reject: (error: unknown) => void
}

type WriteResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown }

class SqliteStore implements Store {
  readonly #db: Database
  readonly #clock: Clock
  readonly #statements = new Map<string, Statement>()
  #queue: QueuedWrite[] = []
  #flushScheduled = false

  constructor(db: Database, clock: Clock) {
    this.#db = db
    this.#clock = clock
  }

  // --- plumbing: every public method goes through #read or #write -------------------------

  /** A prepared statement, compiled once per connection. */
  #sql(source: string): Statement {
    let statement = this.#statements.get(source)
    if (statement === undefined) {
      statement = this.#db.prepare(source)
      this.#statements.set(source, statement)
    }
    return statement
  }

  #run<T>(work: () => T): T {
    if (!this.#db.open) throw new StoreUnavailable({ detail: 'the store was closed' })
    try {
      return this.#db.transaction(work).deferred()
    } catch (error) {
      throw translateError(error)
    }
  }

  /** One consistent snapshot for reads of several statements. */
  #read<T>(work: () => T): T {
    return this.#run(work)
  }

  /** A read of one statement: SQLite makes each statement its own snapshot, no BEGIN needed. */
  #statement<T>(work: () => T): T {
    if (!this.#db.open) throw new StoreUnavailable({ detail: 'the store was closed' })
    try {
      return work()
    } catch (error) {
      throw translateError(error)
    }
  }

  /**
   * One use case: all of it or none of it. Writes are group-committed: every write queued in
   * the same turn of the event loop runs in one BEGIN IMMEDIATE transaction (a failing use case
   * rolls back alone, see #flush), and one COMMIT (one fsync, with `synchronous=FULL`) makes
   * them all durable before any of them resolves. An fsync blocks the event loop (0.2-1.7 ms
   * on the machines measured); per write, that capped the broker at ~400 exchanges/s (two
   * writes each); per batch, it is paid once for every write in flight.
   */
  #write<T>(work: () => T): Promise<T> {
    if (!this.#db.open) return Promise.reject(new StoreUnavailable({ detail: 'the store was closed' }))
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject })
      if (!this.#flushScheduled) {
        this.#flushScheduled = true
        setImmediate(() => this.#flush())
      }
    })
  }

  #flush(): void {
    this.#flushScheduled = false
    const batch = this.#queue
    this.#queue = []
    if (batch.length === 0) return
    if (!this.#db.open) {
      for (const item of batch) item.reject(new StoreUnavailable({ detail: 'the store was closed' }))
      return
    }
    // Optimistic first: the whole batch as one transaction, no savepoint per write (they cost
    // ~15% of a write). Should any write fail, all is rolled back and the batch runs again
    // with each write in its own savepoint, so that only the failing ones fail.
    const results = (batch.length > 1 ? this.#commit(batch, 'together') : undefined) ?? this.#commit(batch, 'isolated')
    if (results instanceof Error) {
      // Nothing of the batch is durable: every caller hears so, none is told it was recorded.
      for (const item of batch) item.reject(results)
      return
    }
    batch.forEach((item, i) => {
      const result = results[i]!
      if (result.ok) item.resolve(result.value)
      else item.reject(result.error)
    })
  }

  /**
   * Runs `batch` in one BEGIN IMMEDIATE ... COMMIT. `isolated`: each write in a savepoint (a
   * failing one rolls back alone). `together`: no savepoints; the first failing write rolls
   * the whole transaction back, and the answer is undefined. An error is what made the
   * transaction itself fail (nothing committed).
   */
  #commit(batch: readonly QueuedWrite[], mode: 'together'): WriteResult[] | Error | undefined
  #commit(batch: readonly QueuedWrite[], mode: 'isolated'): WriteResult[] | Error
  #commit(batch: readonly QueuedWrite[], mode: 'together' | 'isolated'): WriteResult[] | Error | undefined {
    try {
      this.#db.exec('BEGIN IMMEDIATE')
    } catch (error) {
      return translateError(error)
    }
    const results: WriteResult[] = []
    for (const item of batch) {
      try {
        // Inside an open transaction better-sqlite3 runs a transaction function as a savepoint.
        results.push({ ok: true, value: mode === 'isolated' ? this.#db.transaction(item.work)() : item.work() })
      } catch (error) {
        if (mode === 'together') {
          this.#rollback()
          return undefined
        }
        results.push({ ok: false, error: translateError(error) })
      }
    }
    try {
      this.#db.exec('COMMIT')
    } catch (error) {
      this.#rollback()
      return translateError(error)
    }
    return results
  }

  #rollback(): void {
    try {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK')
    } catch {
      // The connection is gone; the transaction died with it.
    }
  }

  #agentRow(handle: string): AgentRow | undefined {
    return this.#sql('SELECT * FROM agents WHERE handle = ?').get(handle) as AgentRow | undefined
  }

  #mustAgent(handle: string): AgentRow {
    const row = this.#agentRow(handle)
    if (row === undefined) throw new AgentNotFound(handle)
    return row
  }

  #grantRow(handle: string, grantId: string): GrantRow | undefined {
    return this.#sql('SELECT * FROM grants WHERE id = ? AND handle = ?').get(grantId, handle) as GrantRow | undefined
  }

  /**
   * Seals `draft` onto the agent's chain inside the caller's transaction: the head read and the
   * insert share the write lock, so two appends cannot take one seq. Only the draft's own
   * fields are sealed (extra properties on the object would be hashed but not stored).
   */
  #audit(handle: string, draft: AuditDraft): AuditEvent {
    const head = this.#sql('SELECT seq, hash FROM audit_events WHERE handle = ? ORDER BY seq DESC LIMIT 1').get(handle) as { seq: number; hash: string } | undefined
    let event: AuditEvent
    let details: string
    try {
      event = sealAuditEvent(handle, head, { at: draft.at, actor: draft.actor, action: draft.action, target: draft.target, outcome: draft.outcome, details: draft.details })
      details = json(event.details)
    } catch (cause) {
      throw new AuditUnavailable({ cause, detail: `the audit event "${draft.action}" could not be sealed` })
    }
    this.#sql('INSERT INTO audit_events (handle, seq, prev_hash, hash, at, actor, action, target, outcome, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      handle, event.seq, event.prevHash, event.hash, ms(event.at), event.actor, event.action, event.target, event.outcome, details,
    )
    // What a later read returns (details through JSON), so callers see one shape.
    return { ...event, details: JSON.parse(details) as Record<string, unknown> }
  }

  #changeStatus(handle: string, change: StatusChange, at: Date): Agent {
    const row = this.#mustAgent(handle)
    if (!change.from.includes(row.status)) throw new AgentNotActive(handle, row.status)
    const next: AgentRow = { ...row, status: change.status, status_reason: change.reason ?? null, generation: row.generation + 1, updated_at: ms(at) }
    this.#sql('UPDATE agents SET status = ?, status_reason = ?, generation = ?, updated_at = ? WHERE handle = ?').run(next.status, next.status_reason, next.generation, next.updated_at, handle)
    return toAgent(next)
  }

  #revocation(id: string): Revocation | undefined {
    const row = this.#sql('SELECT * FROM revocations WHERE id = ?').get(id) as RevocationRow | undefined
    if (row === undefined) return undefined
    return toRevocation(row, this.#sql('SELECT * FROM revocation_tasks WHERE revocation_id = ? ORDER BY rowid').all(id) as TaskRow[])
  }

  // --- agents ------------------------------------------------------------------------------

  async createAgent(agent: Agent, audit: AuditDraft): Promise<void> {
    await this.#write(() => {
      try {
        this.#sql('INSERT INTO agents (handle, owner, status, tier, generation, labels, status_reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
          agent.handle, agent.owner, agent.status, agent.tier, agent.generation, json(agent.labels), agent.statusReason ?? null, ms(agent.createdAt), ms(agent.updatedAt),
        )
      } catch (error) {
        if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new AgentExists(agent.handle, { cause: error })
        throw error
      }
      this.#audit(agent.handle, audit)
    })
  }

  async getAgent(handle: string): Promise<Agent | undefined> {
    const row = this.#statement(() => this.#agentRow(handle))
    return row && toAgent(row)
  }

  async listAgents(filter: AgentFilter = {}): Promise<Agent[]> {
    const rows = this.#read(
      () =>
        this.#sql(
          `SELECT * FROM agents
           WHERE (:owner IS NULL OR owner = :owner) AND (:status IS NULL OR status = :status) AND (:after IS NULL OR handle > :after)
           ORDER BY handle LIMIT :limit`,
        ).all({ owner: filter.owner ?? null, status: filter.status ?? null, after: filter.after ?? null, limit: filter.limit ?? -1 }) as AgentRow[],
    )
    return rows.map(toAgent)
  }

  async changeAgentStatus(handle: string, change: StatusChange, audit: AuditDraft): Promise<Agent> {
    return this.#write(() => {
      const agent = this.#changeStatus(handle, change, audit.at)
      this.#audit(handle, audit)
      return agent
    })
  }

  // --- keys and bindings ---------------------------------------------------------------------

  async addKey(key: AgentKey, audit: AuditDraft): Promise<void> {
    await this.#write(() => {
      this.#mustAgent(key.handle)
      const added = this.#sql('INSERT INTO agent_keys (handle, kid, alg, jwk, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (handle, kid) DO NOTHING').run(
        key.handle, key.kid, key.alg, json(key.jwk), ms(key.createdAt),
      )
      // Idempotent: the same key again changes nothing, so it records nothing either.
      if (added.changes === 1) this.#audit(key.handle, audit)
    })
  }

  async listKeys(handle: string): Promise<AgentKey[]> {
    return this.#statement(() => this.#sql('SELECT * FROM agent_keys WHERE handle = ? ORDER BY created_at, kid').all(handle) as KeyRow[]).map(toKey)
  }

  async putBinding(binding: Binding, audit: AuditDraft): Promise<void> {
    await this.#write(() => {
      this.#mustAgent(binding.handle)
      this.#sql(
        `INSERT INTO bindings (handle, system, id, target, ceiling, min_tier, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (handle, system) DO UPDATE SET id = excluded.id, target = excluded.target, ceiling = excluded.ceiling, min_tier = excluded.min_tier, created_at = excluded.created_at`,
      ).run(binding.handle, binding.system, binding.id, json(binding.target), json(binding.ceiling), binding.minTier, ms(binding.createdAt))
      this.#audit(binding.handle, audit)
    })
  }

  async getBinding(handle: string, system: string): Promise<Binding | undefined> {
    const row = this.#statement(() => this.#sql('SELECT * FROM bindings WHERE handle = ? AND system = ?').get(handle, system) as BindingRow | undefined)
    return row && toBinding(row)
  }

  async listBindings(handle: string): Promise<Binding[]> {
    return this.#statement(() => this.#sql('SELECT * FROM bindings WHERE handle = ? ORDER BY system').all(handle) as BindingRow[]).map(toBinding)
  }

  // --- grants ------------------------------------------------------------------------------

  async beginGrant(grant: Grant, generation: number, audit: AuditDraft): Promise<void> {
    await this.#write(() => {
      // The consistency point: status and generation are read under the write lock that
      // records the grant, so a revocation either committed before (refused here) or after
      // (and then sees this grant as pending and takes it into its job).
      const agent = this.#mustAgent(grant.handle)
      if (agent.status !== 'active') throw new AgentNotActive(grant.handle, agent.status)
      if (agent.generation !== generation) throw new AgentNotActive(grant.handle, "no longer at the token's generation", { detail: `agent generation ${agent.generation}, token generation ${generation}` })
      this.#sql(
        `INSERT INTO grants (id, handle, binding_id, system, connector_type, scopes, status, created_at, expires_at, ref, attribution, sealed_secret, error, ended_at)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, NULL, NULL)`,
      ).run(
        grant.id, grant.handle, grant.bindingId, grant.system, grant.connectorType, json(grant.scopes), ms(grant.createdAt),
        grant.expiresAt ? ms(grant.expiresAt) : null, grant.ref === undefined ? null : json(grant.ref), json(grant.index), grant.sealedSecret ?? null,
      )
      this.#index(grant.id, grant.index, 'new')
      this.#audit(grant.handle, audit)
    })
  }

  /** Writes a grant's whois keys; `new`: the grant was inserted just now, it has none yet. */
  #index(grantId: string, index: Readonly<Record<string, string>>, grant: 'new' | 'existing' = 'existing'): void {
    if (grant === 'existing') this.#sql('DELETE FROM grant_index WHERE grant_id = ?').run(grantId)
    const insert = this.#sql('INSERT INTO grant_index (grant_id, key, value) VALUES (?, ?, ?)')
    for (const [key, value] of Object.entries(index)) insert.run(grantId, key, value)
  }

  async settleGrant(handle: string, grantId: string, settlement: GrantSettlement, audit: AuditDraft): Promise<Grant> {
    return this.#write(() => {
      const row = this.#grantRow(handle, grantId)
      if (row === undefined) throw new GrantNotFound(grantId)
      // A reconciler and a slow exchange can race to settle one grant; the first one wins.
      if (row.status !== 'pending') throw new InternalFailure({ detail: `grant ${grantId} is already ${row.status}; refused to settle it as ${settlement.status}` })
      let settled: GrantRow
      if (settlement.status === 'live') {
        settled = { ...row, status: 'live', expires_at: ms(settlement.expiresAt), ref: settlement.ref === undefined ? null : json(settlement.ref), attribution: json(settlement.index), sealed_secret: settlement.sealedSecret ?? null }
        this.#sql("UPDATE grants SET status = 'live', expires_at = ?, ref = ?, attribution = ?, sealed_secret = ? WHERE id = ?").run(settled.expires_at, settled.ref, settled.attribution, settled.sealed_secret, grantId)
        this.#index(grantId, settlement.index)
      } else {
        settled = { ...row, status: 'failed', error: settlement.error, ended_at: ms(audit.at) }
        this.#sql("UPDATE grants SET status = 'failed', error = ?, ended_at = ? WHERE id = ?").run(settled.error, settled.ended_at, grantId)
      }
      this.#audit(handle, audit)
      return toGrant(settled)
    })
  }

  async getGrant(handle: string, grantId: string): Promise<Grant | undefined> {
    const row = this.#statement(() => this.#grantRow(handle, grantId))
    return row && toGrant(row)
  }

  async listGrants(handle: string, status?: GrantStatus): Promise<Grant[]> {
    const rows = this.#statement(() => this.#sql('SELECT * FROM grants WHERE handle = :handle AND (:status IS NULL OR status = :status) ORDER BY created_at, id').all({ handle, status: status ?? null }) as GrantRow[])
    return rows.map(toGrant)
  }

  async findGrants(key: string, value: string): Promise<Grant[]> {
    const rows = this.#read(
      () => this.#sql('SELECT g.* FROM grant_index i JOIN grants g ON g.id = i.grant_id WHERE i.key = ? AND i.value = ? ORDER BY g.created_at, g.id').all(key, value) as GrantRow[],
    )
    return rows.map(toGrant)
  }

  async listPendingGrants(before: Date): Promise<Grant[]> {
    const rows = this.#statement(() => this.#sql("SELECT * FROM grants WHERE status = 'pending' AND created_at < ? ORDER BY created_at, id").all(ms(before)) as GrantRow[])
    return rows.map(toGrant)
  }

  // --- revocations -------------------------------------------------------------------------

  async startRevocation(start: RevocationStart, audit: AuditDraft): Promise<{ revocation: Revocation; agent: Agent }> {
    return this.#write(() => {
      const { scope } = start
      let agent = toAgent(this.#mustAgent(scope.handle))
      // Live grants not yet expired, and those still pending: an exchange in flight may yet go
      // live, and the cascade must own it (it waits for the grant to settle).
      const inScope = "(status = 'pending' OR (status = 'live' AND expires_at > :now))"
      const now = ms(start.createdAt)
      let grants: Array<{ id: string; system: string }>
      switch (scope.kind) {
        case 'agent':
          grants = this.#sql(`SELECT id, system FROM grants WHERE handle = :handle AND ${inScope} ORDER BY created_at, id`).all({ handle: scope.handle, now }) as typeof grants
          break
        case 'binding':
          grants = this.#sql(`SELECT id, system FROM grants WHERE handle = :handle AND binding_id = :binding AND ${inScope} ORDER BY created_at, id`).all({ handle: scope.handle, binding: scope.bindingId, now }) as typeof grants
          break
        case 'grant': {
          if (this.#grantRow(scope.handle, scope.grantId) === undefined) throw new GrantNotFound(scope.grantId)
          grants = this.#sql("SELECT id, system FROM grants WHERE handle = ? AND id = ? AND status IN ('live', 'pending')").all(scope.handle, scope.grantId) as typeof grants
          break
        }
      }
      if (start.statusChange) agent = this.#changeStatus(scope.handle, start.statusChange, audit.at)
      const done = grants.length === 0
      this.#sql('INSERT INTO revocations (id, handle, scope, reason, actor, created_at, status, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
        start.id, scope.handle, json(scope), start.reason, start.actor, ms(start.createdAt), done ? 'done' : 'running', done ? ms(start.createdAt) : null,
      )
      const task = this.#sql("INSERT INTO revocation_tasks (revocation_id, grant_id, handle, system, status, attempts, next_attempt_at) VALUES (?, ?, ?, ?, 'pending', 0, ?)")
      for (const grant of grants) task.run(start.id, grant.id, scope.handle, grant.system, ms(start.createdAt))
      this.#outbox(start.id, 'revocation.started')
      if (done) this.#outbox(start.id, 'revocation.finished')
      this.#audit(scope.handle, audit)
      return { revocation: this.#revocation(start.id)!, agent }
    })
  }

  async getRevocation(id: string): Promise<Revocation | undefined> {
    return this.#read(() => this.#revocation(id))
  }

  async listOpenRevocations(): Promise<Revocation[]> {
    return this.#read(() => {
      const ids = this.#sql("SELECT id FROM revocations WHERE status = 'running' ORDER BY created_at, id").pluck().all() as string[]
      return ids.map((id) => this.#revocation(id)!)
    })
  }

  async claimTasks(owner: string, now: Date, leaseMs: number, limit: number): Promise<RevocationTask[]> {
    return this.#write(() => {
      const due = this.#sql(
        `SELECT rowid FROM revocation_tasks
         WHERE status = 'pending' AND next_attempt_at <= :now AND (lease_expires_at IS NULL OR lease_expires_at <= :now)
         ORDER BY next_attempt_at, rowid LIMIT :limit`,
      ).pluck().all({ now: ms(now), limit }) as number[]
      const lease = this.#sql('UPDATE revocation_tasks SET lease_owner = ?, lease_expires_at = ? WHERE rowid = ? RETURNING *')
      return due.map((rowid) => toTask(lease.get(owner, ms(now) + leaseMs, rowid) as TaskRow))
    })
  }

  async completeTask(owner: string, revocationId: string, grantId: string, result: TaskResult, now: Date, audit: AuditDraft): Promise<TaskCompletion> {
    return this.#write(() => {
      const task = this.#sql('SELECT * FROM revocation_tasks WHERE revocation_id = ? AND grant_id = ?').get(revocationId, grantId) as TaskRow | undefined
      // Only the holder of an unexpired lease: after expiry another replica may be on it.
      if (task === undefined || task.status !== 'pending' || task.lease_owner !== owner || (task.lease_expires_at ?? 0) <= ms(now)) return { completed: false, revocationDone: false }
      this.#sql("UPDATE revocation_tasks SET status = 'done', outcome = ?, lease_owner = NULL, lease_expires_at = NULL WHERE revocation_id = ? AND grant_id = ?").run(json(result.outcome), revocationId, grantId)
      const ended = result.grantStatus === 'revoked' || result.grantStatus === 'expired'
      this.#sql('UPDATE grants SET status = ?, sealed_secret = NULL, ended_at = CASE WHEN ? THEN ? ELSE ended_at END WHERE id = ?').run(result.grantStatus, ended ? 1 : 0, ms(now), grantId)
      this.#audit(task.handle, audit)
      const closed = this.#sql(
        `UPDATE revocations SET status = 'done', finished_at = ?
         WHERE id = ? AND NOT EXISTS (SELECT 1 FROM revocation_tasks WHERE revocation_id = ? AND status = 'pending')`,
      ).run(ms(now), revocationId, revocationId)
      if (closed.changes > 0) this.#outbox(revocationId, 'revocation.finished')
      return { completed: true, revocationDone: closed.changes > 0 }
    })
  }

  async retryTask(owner: string, revocationId: string, grantId: string, nextAttemptAt: Date, error: string): Promise<void> {
    await this.#write(() => {
      this.#sql(
        `UPDATE revocation_tasks SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, lease_owner = NULL, lease_expires_at = NULL
         WHERE revocation_id = ? AND grant_id = ? AND status = 'pending' AND lease_owner = ?`,
      ).run(ms(nextAttemptAt), error, revocationId, grantId, owner)
    })
  }

  // --- audit -------------------------------------------------------------------------------

  async appendAudit(handle: string, audit: AuditDraft): Promise<AuditEvent> {
    return this.#write(() => {
      this.#mustAgent(handle)
      return this.#audit(handle, audit)
    })
  }

  async readAudit(handle: string, options: { afterSeq?: number; limit?: number } = {}): Promise<AuditEvent[]> {
    const rows = this.#statement(() => this.#sql('SELECT * FROM audit_events WHERE handle = ? AND seq > ? ORDER BY seq LIMIT ?').all(handle, options.afterSeq ?? 0, options.limit ?? -1) as AuditRow[])
    return rows.map(toAuditEvent)
  }

  // --- replay cache, revoked tokens ----------------------------------------------------------

  async useOnce(key: string, expiresAt: Date, now: Date): Promise<boolean> {
    return this.#write(() => {
      this.#sql('DELETE FROM used_once WHERE rowid IN (SELECT rowid FROM used_once WHERE expires_at <= ? LIMIT ?)').run(ms(now), purgeBatch)
      const seen = this.#sql('SELECT expires_at FROM used_once WHERE key = ?').pluck().get(key) as number | undefined
      if (seen !== undefined && seen > ms(now)) return false
      this.#sql('INSERT INTO used_once (key, expires_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at').run(key, ms(expiresAt))
      return true
    })
  }

  async revokeToken(jti: string, expiresAt: Date): Promise<void> {
    await this.#write(() => {
      this.#sql('DELETE FROM revoked_tokens WHERE rowid IN (SELECT rowid FROM revoked_tokens WHERE expires_at <= ? LIMIT ?)').run(ms(this.#clock.now()), purgeBatch)
      this.#sql('INSERT INTO revoked_tokens (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)').run(jti, ms(expiresAt))
    })
  }

  async isTokenRevoked(jti: string, now: Date): Promise<boolean> {
    return this.#statement(() => this.#sql('SELECT 1 FROM revoked_tokens WHERE jti = ? AND expires_at > ?').get(jti, ms(now)) !== undefined)
  }

  // --- signing keys --------------------------------------------------------------------------

  async putSigningKey(key: SigningKeyRecord): Promise<void> {
    await this.#write(() => {
      // A kid is the key's thumbprint: the same kid is the same key, first write wins.
      this.#sql('INSERT INTO signing_keys (kid, alg, public_jwk, sealed_private_key, created_at, retired_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kid) DO NOTHING').run(
        key.kid, key.alg, json(key.publicJwk), key.sealedPrivateKey, ms(key.createdAt), key.retiredAt ? ms(key.retiredAt) : null,
      )
    })
  }

  async retireSigningKey(kid: string, at: Date): Promise<void> {
    await this.#write(() => {
      this.#sql('UPDATE signing_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL').run(ms(at), kid)
    })
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return this.#statement(() => this.#sql('SELECT * FROM signing_keys ORDER BY created_at, kid').all() as SigningKeyRow[]).map(toSigningKey)
  }

  // --- trust rules (#16) -------------------------------------------------------------------

  async putTrustRule(rule: TrustRule, audit: AuditDraft): Promise<void> {
    await this.#write(() => {
      this.#mustAgent(rule.handle)
      this.#sql(
        `INSERT INTO trust_rules (id, handle, issuer, audience, subject, claims, shape, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET issuer = excluded.issuer, audience = excluded.audience, subject = excluded.subject, claims = excluded.claims, shape = excluded.shape`,
      ).run(rule.id, rule.handle, rule.issuer, rule.audience, rule.subject, json(rule.claims), rule.shape ?? null, ms(rule.createdAt))
      this.#audit(rule.handle, audit)
    })
  }

  async listTrustRules(handle: string): Promise<TrustRule[]> {
    return this.#statement(() => this.#sql('SELECT * FROM trust_rules WHERE handle = ? ORDER BY created_at, id').all(handle) as TrustRuleRow[]).map(toTrustRule)
  }

  async listTrustRulesByIssuer(issuer: string): Promise<TrustRule[]> {
    return this.#statement(() => this.#sql('SELECT * FROM trust_rules WHERE issuer = ? ORDER BY created_at, id').all(issuer) as TrustRuleRow[]).map(toTrustRule)
  }

  async deleteTrustRule(handle: string, id: string, audit: AuditDraft): Promise<boolean> {
    return this.#write(() => {
      const deleted = this.#sql('DELETE FROM trust_rules WHERE handle = ? AND id = ?').run(handle, id).changes === 1
      if (deleted) this.#audit(handle, audit)
      return deleted
    })
  }

  // --- webhooks ----------------------------------------------------------------------------

  async putWebhook(webhook: Webhook): Promise<void> {
    await this.#write(() => {
      this.#sql(
        `INSERT INTO webhooks (id, url, events, actor, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET url = excluded.url, events = excluded.events, actor = excluded.actor, created_at = excluded.created_at`,
      ).run(webhook.id, webhook.url, json(webhook.events), webhook.actor, ms(webhook.createdAt))
    })
  }

  async listWebhooks(): Promise<Webhook[]> {
    return this.#statement(() => this.#sql('SELECT * FROM webhooks ORDER BY created_at, id').all() as WebhookRow[]).map(toWebhook)
  }

  async deleteWebhook(id: string): Promise<boolean> {
    return this.#write(() => {
      const deleted = this.#sql('DELETE FROM webhooks WHERE id = ?').run(id).changes === 1
      // Delivered and failed ones stay: what the relying party was sent, or could not be.
      if (deleted) this.#sql("DELETE FROM webhook_deliveries WHERE webhook_id = ? AND status = 'pending'").run(id)
      return deleted
    })
  }

  #enqueue(deliveries: readonly WebhookDelivery[]): void {
    const insert = this.#sql(
      `INSERT INTO webhook_deliveries (id, webhook_id, url, payload, created_at, status, attempts, next_attempt_at, last_error, delivered_at, lease_owner, lease_expires_at)
       VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, NULL, NULL, NULL)`,
    )
    for (const d of deliveries) insert.run(d.id, d.webhookId, d.url, d.payload, ms(d.createdAt), d.attempts, ms(d.nextAttemptAt), d.lastError ?? null)
  }

  async enqueueDeliveries(deliveries: readonly WebhookDelivery[]): Promise<void> {
    if (deliveries.length === 0) return
    await this.#write(() => this.#enqueue(deliveries))
  }

  #outbox(revocationId: string, type: RevocationEventType): void {
    this.#sql('INSERT INTO revocation_outbox (revocation_id, type) VALUES (?, ?)').run(revocationId, type)
  }

  async listUnannounced(limit: number): Promise<RevocationEvent[]> {
    return this.#read(() => {
      const rows = this.#sql('SELECT revocation_id, type FROM revocation_outbox ORDER BY rowid LIMIT ?').all(limit) as Array<{ revocation_id: string; type: RevocationEventType }>
      return rows.map((row) => ({ type: row.type, revocation: this.#revocation(row.revocation_id)! }))
    })
  }

  async announce(revocationId: string, type: RevocationEventType, deliveries: readonly WebhookDelivery[]): Promise<boolean> {
    return this.#write(() => {
      if (this.#sql('DELETE FROM revocation_outbox WHERE revocation_id = ? AND type = ?').run(revocationId, type).changes === 0) return false
      this.#enqueue(deliveries)
      return true
    })
  }

  async claimDeliveries(owner: string, now: Date, leaseMs: number, limit: number): Promise<WebhookDelivery[]> {
    return this.#write(() => {
      const due = this.#sql(
        `SELECT rowid FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= :now AND (lease_expires_at IS NULL OR lease_expires_at <= :now)
         ORDER BY next_attempt_at, created_at, id LIMIT :limit`,
      ).pluck().all({ now: ms(now), limit }) as number[]
      const lease = this.#sql('UPDATE webhook_deliveries SET lease_owner = ?, lease_expires_at = ? WHERE rowid = ? RETURNING *')
      return due.map((rowid) => toDelivery(lease.get(owner, ms(now) + leaseMs, rowid) as DeliveryRow))
    })
  }

  async finishDelivery(owner: string, id: string, result: DeliveryResult): Promise<boolean> {
    return this.#write(() => {
      // Only the lease holder. No expiry check (the port passes no time): once a lease expires
      // and another worker claims the delivery, the owner changes and this refuses.
      const held = "id = :id AND status = 'pending' AND lease_owner = :owner"
      const release = 'lease_owner = NULL, lease_expires_at = NULL'
      let changed: number
      switch (result.status) {
        case 'delivered':
          changed = this.#sql(`UPDATE webhook_deliveries SET status = 'delivered', delivered_at = :at, ${release} WHERE ${held}`).run({ id, owner, at: ms(result.at) }).changes
          break
        case 'retry':
          changed = this.#sql(`UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = :next, last_error = :error, ${release} WHERE ${held}`).run({ id, owner, next: ms(result.nextAttemptAt), error: result.error }).changes
          break
        case 'failed':
          changed = this.#sql(`UPDATE webhook_deliveries SET status = 'failed', last_error = :error, ${release} WHERE ${held}`).run({ id, owner, error: result.error }).changes
          break
      }
      return changed === 1
    })
  }

  async listDeliveries(webhookId: string): Promise<WebhookDelivery[]> {
    return this.#statement(() => this.#sql('SELECT * FROM webhook_deliveries WHERE webhook_id = ? ORDER BY created_at, id').all(webhookId) as DeliveryRow[]).map(toDelivery)
  }

  // --- health ------------------------------------------------------------------------------

  async ping(): Promise<void> {
    this.#statement(() => this.#sql('SELECT 1').get())
  }

  /** Idempotent. Afterwards every method rejects with StoreUnavailable. */
  async close(): Promise<void> {
    // Writes already accepted are committed (or refused) before the connection goes.
    if (this.#db.open && this.#queue.length > 0) this.#flush()
    if (this.#db.open) this.#db.close()
  }
}
