import {
  AgentExists,
  AgentNotActive,
  AgentNotFound,
  GrantNotFound,
  InternalFailure,
  StoreUnavailable,
  isLanyardError,
  isOpenAt,
  systemClock,
  type Agent,
  type AgentFilter,
  type AuditDraft,
  type Clock,
  type Grant,
  type Revocation,
  type RevocationScope,
  type RevocationTask,
  type StatusChange,
  type Store,
  type TaskCompletion,
} from '@lanyard/core'
import {
  decodeAgent,
  decodeAll,
  decodeBinding,
  decodeEvent,
  decodeGrant,
  decodeKey,
  decodeRevocation,
  decodeSigningKey,
  decodeTask,
  encode,
} from './codec.js'
import { call, closeClient, defineScript, driverFailure, openReadyClient, type ConnectionOptions, type RedisClient, type ReplicaWait } from './connection.js'
import { indexMember, parseIndexMember, redisKeys } from './keys.js'
import { createWebhookMethods, outboxEntry } from './redis-webhooks.js'
import { useOnceLua } from './scripts/use-once.js'
import { HeadCache, Transaction, mutate as mutateOn, type Planned } from './transaction.js'

export interface RedisStoreOptions {
  readonly keyPrefix: string
  /** Read by `revokeToken` (to size a TTL) and `listUnannounced` (to age out entries whose
   * revocation never committed); every other time comes from the caller. */
  readonly clock?: Clock
  /** Replica acknowledgement every commit waits for (durability.ts); none by default. */
  readonly wait?: ReplicaWait
}

const noop = () => undefined
/**
 * The grant id of a revocation's sweep entry in the due-task index: written before the commit
 * of an agent or binding revocation, it has the cascade index every task of that revocation,
 * the ones the commit added for late grants included (claimOne).
 */
const sweepMember = '*'
/** How soon a due-task entry whose revocation has not committed yet is looked at again. */
const uncommittedRecheckMs = 1_000
const byId = (item: { id: string }) => item.id

function applyStatus(agent: Agent, change: StatusChange, at: Date): Agent {
  if (!change.from.includes(agent.status)) throw new AgentNotActive(agent.handle, agent.status)
  const { statusReason: _previous, ...rest } = agent
  return { ...rest, status: change.status, generation: agent.generation + 1, updatedAt: at, ...(change.reason === undefined ? {} : { statusReason: change.reason }) }
}

function inScope(scope: RevocationScope, grant: Grant): boolean {
  switch (scope.kind) {
    case 'agent':
      return true
    case 'binding':
      return grant.bindingId === scope.bindingId
    case 'grant':
      return grant.id === scope.grantId
  }
}

/**
 * Each agent's open grants (pending, or live) in a sorted set beside its grants hash, so that a
 * revocation reads what is still open instead of every grant the agent ever had: pending ones
 * scored past any expiry, live ones by expiry. Kept in the same commits as the grants; entries
 * past their expiry are trimmed when the next grant begins. `openGrantsComplete` marks an agent
 * whose set holds all of them: every agent created since; an agent from before it gets its set
 * filled by its next revocation, which reads the whole hash once.
 */
const pendingScore = 8.64e15

function openScore(grant: Grant): number | undefined {
  if (grant.status === 'pending') return pendingScore
  if (grant.status === 'live') return grant.expiresAt?.getTime() ?? pendingScore
  return undefined
}

/** Keeps `grant`'s entry in its agent's open set in step with its status, inside `txn`. */
function trackOpen(txn: Transaction, key: string, grant: Grant): Transaction {
  const score = openScore(grant)
  return score === undefined ? txn.zrem(key, grant.id) : txn.zadd(key, score, grant.id)
}

function withoutLease(task: RevocationTask): RevocationTask {
  const { leaseOwner: _owner, leaseExpiresAt: _expires, ...rest } = task
  return rest
}

/**
 * The Store on Redis, over a client the caller opened (single Redis or Cluster). `onClose`
 * releases that client. Every method maps failure to the catalogue: driver failures to
 * StoreUnavailable (see connection.ts), anything else to InternalFailure; after `close()` every
 * method rejects with StoreUnavailable.
 */
export function createStoreOn(client: RedisClient, options: RedisStoreOptions, onClose: () => Promise<void>): Store {
  const keys = redisKeys(options.keyPrefix)
  const clock = options.clock ?? systemClock
  const useOnceScript = defineScript(useOnceLua)
  const heads = new HeadCache()
  /** Commits a transaction that seals audit events (sealAudit), with this store's wait and head cache. */
  const commit = (txn: Transaction) => txn.commit(client, options.wait, heads)
  let closed = false

  /** Reads several keys of one agent as one snapshot (MULTI: one slot, one round trip). */
  async function snapshot(commands: (string | number)[][]): Promise<unknown[]> {
    const replies = await call(() => client.multi(commands).exec())
    if (replies === null) throw new StoreUnavailable({ detail: 'snapshot transaction was discarded' })
    return replies.map(([error, value]) => {
      if (error) throw driverFailure(error)
      return value
    })
  }

  const mutate = <T>(plan: () => Promise<Planned<T>>): Promise<T> => mutateOn(client, plan, options.wait, heads)

  const index = {
    zadd: (key: string, score: number, member: string) => () => call(() => client.zadd(key, score, member)),
    /** Updates a score only if the entry is still there: a finished task is not brought back. */
    rescore: (key: string, score: number, member: string) => () => call(() => client.zadd(key, 'XX', score, member)),
    zrem: (key: string, member: string) => () => call(() => client.zrem(key, member)),
    sadd: (key: string, member: string) => () => call(() => client.sadd(key, member)),
  }

  /** Both outbox entries of a revocation, written before its commit (see keys.ts (4)). */
  const outboxEntries = (revocationId: string, at: Date) => () =>
    call(() => client.hset(keys.outbox, ...outboxEntry(revocationId, 'revocation.started', at), ...outboxEntry(revocationId, 'revocation.finished', at)))

  async function headOf(handle: string): Promise<string | null> {
    return call(() => client.get(keys.head(handle)))
  }

  async function getAgent(handle: string): Promise<Agent | undefined> {
    return decodeAgent(await call(() => client.get(keys.agent(handle))))
  }

  async function getGrant(handle: string, grantId: string): Promise<Grant | undefined> {
    return decodeGrant(await call(() => client.hget(keys.grants(handle), grantId)))
  }

  async function getRevocation(id: string): Promise<Revocation | undefined> {
    const handle = await call(() => client.get(keys.revocation(id)))
    if (handle === null) return undefined
    const [record, tasks] = (await snapshot([
      ['hget', keys.revocations(handle), id],
      ['hvals', keys.tasks(handle, id)],
    ])) as [string | null, string[]]
    const revocation = decodeRevocation(record)
    return revocation && { ...revocation, tasks: decodeAll(tasks, decodeTask, (t) => t.grantId) }
  }

  /** A revocation's status alone, without its tasks (a cascade's job may hold 10,000). */
  async function revocationStatus(id: string): Promise<Revocation['status'] | undefined> {
    const handle = await call(() => client.get(keys.revocation(id)))
    if (handle === null) return undefined
    return decodeRevocation(await call(() => client.hget(keys.revocations(handle), id)))?.status
  }

  /**
   * A sweep entry (sweepMember): indexes every open task of the revocation (NX: an entry the
   * cascade already rescored keeps its score), then goes. Before the revocation commits it is
   * looked at again later, like a task's own entry.
   */
  async function sweep(member: string, handle: string, revocationId: string, now: Date): Promise<void> {
    const [records, committed] = (await snapshot([
      ['hvals', keys.tasks(handle, revocationId)],
      ['hexists', keys.revocations(handle), revocationId],
    ])) as [string[], number]
    if (committed === 0) {
      await index.rescore(keys.dueTasks, now.getTime() + uncommittedRecheckMs, member)().catch(noop)
      return
    }
    const open = decodeAll(records, decodeTask, (t) => t.grantId).filter((task) => task.status === 'pending')
    if (open.length > 0) await call(() => client.zadd(keys.dueTasks, 'NX', ...open.flatMap((task) => [task.nextAttemptAt.getTime(), indexMember(handle, revocationId, task.grantId)])))
    await index.zrem(keys.dueTasks, member)()
  }

  /** Tries to lease one task; undefined if it is not claimable (and its index entry is repaired). */
  async function claimOne(member: string, owner: string, now: Date, leaseMs: number): Promise<RevocationTask | undefined> {
    const [handle, revocationId, grantId] = parseIndexMember(member)
    if (handle === undefined || revocationId === undefined || grantId === undefined) return undefined
    const tasksKey = keys.tasks(handle, revocationId)
    if (grantId === sweepMember) {
      await sweep(member, handle, revocationId, now)
      return undefined
    }
    // The task and its revocation record commit together; read both at once to tell "not yet".
    const [raw, committed] = (await snapshot([
      ['hget', tasksKey, grantId],
      ['hexists', keys.revocations(handle), revocationId],
    ])) as [string | null, number]
    const task = decodeTask(raw)
    // startRevocation writes this entry before its commit: removing it now would strand the task
    // that commit is about to write. Look again in a second (a commit takes milliseconds; one
    // that never comes, after a crash, costs a read a second).
    if (task === undefined && committed === 0) {
      await index.rescore(keys.dueTasks, now.getTime() + uncommittedRecheckMs, member)().catch(noop)
      return undefined
    }
    if (task === undefined || task.status === 'done') {
      await index.zrem(keys.dueTasks, member)().catch(noop)
      return undefined
    }
    const heldUntil = task.leaseOwner !== undefined && task.leaseExpiresAt !== undefined && task.leaseExpiresAt > now ? task.leaseExpiresAt.getTime() : 0
    if (heldUntil > 0 || task.nextAttemptAt > now) {
      await index.rescore(keys.dueTasks, Math.max(heldUntil, task.nextAttemptAt.getTime()), member)().catch(noop)
      return undefined
    }
    const leased: RevocationTask = { ...task, leaseOwner: owner, leaseExpiresAt: new Date(now.getTime() + leaseMs) }
    // Guarded on the task as read: of two replicas claiming it, the second finds it changed.
    if (!(await new Transaction().expect(tasksKey, raw, grantId).hset(tasksKey, grantId, encode(leased)).commit(client, options.wait))) return undefined
    await index.rescore(keys.dueTasks, leased.leaseExpiresAt!.getTime(), member)().catch(noop)
    return leased
  }

  const store: Store = {
    async createAgent(agent, audit) {
      const { handle } = agent
      const txn = new Transaction().set(keys.agent(handle), encode(agent)).set(keys.openGrantsComplete(handle), '1')
      // Absent head = no agent: both are written by this commit only.
      txn.appendAudit(keys, handle, null, audit)
      await Promise.all([index.zadd(keys.agents, 0, handle)(), index.zadd(keys.owner(agent.owner), 0, handle)()])
      if (!(await txn.commit(client, options.wait))) throw new AgentExists(handle)
    },

    getAgent,

    async listAgents(filter: AgentFilter = {}) {
      // Handles come from the lexically sorted index (per owner when filtering by owner); each
      // is then read from its agent record, which decides. Status has no index: filtering by
      // status alone reads every agent. Fine for thousands of agents; past that, add a
      // per-status index maintained like the owner index.
      const indexKey = filter.owner === undefined ? keys.agents : keys.owner(filter.owner)
      const limit = filter.limit ?? Number.POSITIVE_INFINITY
      const pageSize = 200
      const found: Agent[] = []
      let from = filter.after === undefined ? '-' : `(${filter.after}`
      while (found.length < limit) {
        const handles = await call(() => client.zrangebylex(indexKey, from, '+', 'LIMIT', 0, pageSize))
        const agents = await Promise.all(handles.map(getAgent))
        for (const agent of agents) {
          if (agent === undefined) continue
          if (filter.owner !== undefined && agent.owner !== filter.owner) continue
          if (filter.status !== undefined && agent.status !== filter.status) continue
          if (found.push(agent) >= limit) break
        }
        if (handles.length < pageSize) break
        from = `(${handles[handles.length - 1]}`
      }
      return found
    },

    async changeAgentStatus(handle, change, audit) {
      // Guarded on the agent record alone (exchanges never write it); the event is sealed in
      // the commit, so the agent's own traffic cannot starve a suspend.
      for (;;) {
        const record = await call(() => client.get(keys.agent(handle)))
        const agent = decodeAgent(record)
        if (agent === undefined) throw new AgentNotFound(handle)
        const changed = applyStatus(agent, change, audit.at)
        const txn = new Transaction().expect(keys.agent(handle), record).set(keys.agent(handle), encode(changed)).sealAudit(keys, handle, audit, heads)
        if (await commit(txn)) return changed
      }
    },

    async addKey(key, audit) {
      const { handle } = key
      await mutate(async () => {
        const [agent, existing] = (await snapshot([
          ['exists', keys.agent(handle)],
          ['hexists', keys.keys(handle), key.kid],
        ])) as [number, number]
        if (agent === 0) throw new AgentNotFound(handle)
        if (existing === 1) return { result: undefined }
        // Agents are never deleted: existence read once holds. Guarded on the key being absent.
        const txn = new Transaction().expect(keys.keys(handle), null, key.kid).hset(keys.keys(handle), key.kid, encode(key)).sealAudit(keys, handle, audit, heads)
        return { result: undefined, write: { txn } }
      })
    },

    async listKeys(handle) {
      return decodeAll(await call(() => client.hvals(keys.keys(handle))), decodeKey, (k) => `${k.createdAt.toISOString()} ${k.kid}`)
    },

    async putBinding(binding, audit) {
      const { handle } = binding
      await mutate(async () => {
        if ((await call(() => client.exists(keys.agent(handle)))) === 0) throw new AgentNotFound(handle)
        const txn = new Transaction().hset(keys.bindings(handle), binding.system, encode(binding)).sealAudit(keys, handle, audit, heads)
        return { result: undefined, write: { txn } }
      })
    },

    async getBinding(handle, system) {
      return decodeBinding(await call(() => client.hget(keys.bindings(handle), system)))
    },

    async listBindings(handle) {
      return decodeAll(await call(() => client.hvals(keys.bindings(handle))), decodeBinding, (b) => b.system)
    },

    async beginGrant(grant, generation, audit) {
      const { handle } = grant
      const pending = indexMember(handle, grant.id)
      try {
        // One step, no read: the script checks status and generation against the agent record
        // that a revocation changes in its own single step, and seals the event on whatever
        // head the chain has. A revocation that commits first refuses this; one that commits
        // after sees this grant open and gives it a task.
        await index.zadd(keys.pendingGrants, grant.createdAt.getTime(), pending)()
        const txn = new Transaction().expectActive(keys.agent(handle), generation).hset(keys.grants(handle), grant.id, encode({ ...grant, status: 'pending' }))
        trackOpen(txn, keys.openGrants(handle), { ...grant, status: 'pending' }).zremrangebyscore(keys.openGrants(handle), '-inf', `(${grant.createdAt.getTime()}`)
        txn.sealAudit(keys, handle, audit, heads)
        if (!(await commit(txn))) {
          const agent = await getAgent(handle)
          if (agent === undefined) throw new AgentNotFound(handle)
          if (agent.status !== 'active') throw new AgentNotActive(handle, agent.status)
          throw new AgentNotActive(handle, 'changed since the token was issued')
        }
      } catch (error) {
        // A definite refusal: the pending-index entry written before the commit points at
        // nothing. (After StoreUnavailable the commit may have landed; the entry must stay.)
        if (isLanyardError(error) && error.code !== 'ERR_STORE_UNAVAILABLE') await index.zrem(keys.pendingGrants, pending)().catch(noop)
        throw error
      }
    },

    async settleGrant(handle, grantId, settlement, audit) {
      return mutate(async () => {
        const record = await call(() => client.hget(keys.grants(handle), grantId))
        const grant = decodeGrant(record)
        if (grant === undefined) throw new GrantNotFound(grantId)
        // Settling twice (a reconciler and a slow exchange) must not let the second win.
        if (grant.status !== 'pending') throw new GrantNotFound(grantId, { detail: `grant is ${grant.status}, not pending` })
        const settled: Grant =
          settlement.status === 'live'
            ? {
                ...grant,
                status: 'live',
                expiresAt: settlement.expiresAt,
                ref: settlement.ref,
                index: settlement.index,
                ...(settlement.sealedSecret === undefined ? {} : { sealedSecret: settlement.sealedSecret }),
              }
            : { ...grant, status: 'failed', error: settlement.error, endedAt: audit.at }
        // Guarded on the grant as read (a second settler must not win), not on the chain head:
        // the event is sealed in the commit, so the agent's other exchanges cannot make it retry.
        const txn = trackOpen(new Transaction().expect(keys.grants(handle), record, grantId).hset(keys.grants(handle), grantId, encode(settled)), keys.openGrants(handle), settled)
        txn.sealAudit(keys, handle, audit, heads)
        const whois = Object.entries(settled.index).map(([key, value]) => index.sadd(keys.whois(key, value), indexMember(handle, grantId)))
        return { result: settled, write: { txn, before: whois, after: [index.zrem(keys.pendingGrants, indexMember(handle, grantId))] } }
      })
    },

    getGrant,

    async listGrants(handle, status) {
      const grants = decodeAll(await call(() => client.hvals(keys.grants(handle))), decodeGrant, (g) => `${g.createdAt.toISOString()} ${g.id}`)
      return status === undefined ? grants : grants.filter((g) => g.status === status)
    },

    async findGrants(key, value) {
      // The whois set is written before the grant settles, so it may name a grant whose
      // settlement never committed: each is checked against the grant's own index.
      const members = await call(() => client.smembers(keys.whois(key, value)))
      const grants = await Promise.all(
        members.map(async (member) => {
          const [handle, grantId] = parseIndexMember(member)
          return handle === undefined || grantId === undefined ? undefined : getGrant(handle, grantId)
        }),
      )
      return grants.filter((g): g is Grant => g !== undefined && g.index[key] === value).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1))
    },

    async listPendingGrants(before) {
      const members = await call(() => client.zrangebyscore(keys.pendingGrants, '-inf', `(${before.getTime()}`))
      const found: Grant[] = []
      for (const member of members) {
        const [handle, grantId] = parseIndexMember(member)
        if (handle === undefined || grantId === undefined) continue
        const grant = await getGrant(handle, grantId)
        if (grant?.status === 'pending' && grant.createdAt < before) found.push(grant)
        // Settled, but the removal after its commit was lost: repair. A missing grant may be a
        // beginGrant between index write and commit, so its entry stays.
        else if (grant !== undefined && grant.status !== 'pending') await index.zrem(keys.pendingGrants, member)().catch(noop)
      }
      return found
    },

    async startRevocation(start, audit) {
      const { handle } = start.scope
      // One commit whatever the agent's exchange rate: guarded only on the agent record (which
      // exchanges never write; a status change does), the event sealed in the script, and the
      // grants that opened after this read given their tasks by the script itself (TASKS in
      // scripts/commit.ts). Only a concurrent status change makes it read again.
      for (;;) {
        const now = start.createdAt.getTime()
        const [record, complete, openIds] = (await snapshot([
          ['get', keys.agent(handle)],
          ['get', keys.openGrantsComplete(handle)],
          ['zrangebyscore', keys.openGrants(handle), `(${now}`, '+inf'],
        ])) as [string | null, string | null, string[]]
        const agent = decodeAgent(record)
        if (agent === undefined) throw new AgentNotFound(handle)
        const after = start.statusChange ? applyStatus(agent, start.statusChange, audit.at) : agent
        const { scope } = start
        const ids = scope.kind === 'grant' ? [scope.grantId] : complete === null ? undefined : openIds
        const grantRecords = ids === undefined ? await call(() => client.hvals(keys.grants(handle))) : ids.length === 0 ? [] : await call(() => client.hmget(keys.grants(handle), ...ids))
        const grants = decodeAll(grantRecords.filter((raw): raw is string => raw !== null), decodeGrant, byId)
        if (scope.kind === 'grant' && grants.length === 0) throw new GrantNotFound(scope.grantId)
        const taskFor = (grantId: string, system: string): RevocationTask => ({ revocationId: start.id, grantId, handle, system, status: 'pending', attempts: 0, nextAttemptAt: start.createdAt })
        const tasks: RevocationTask[] = grants
          .filter((g) => inScope(scope, g) && (isOpenAt(g, start.createdAt) || (scope.kind === 'grant' && g.status === 'live')))
          .map((g) => taskFor(g.id, g.system))
        const running = tasks.length > 0
        const { statusChange: _change, ...header } = start
        const revocation: Revocation = { ...header, status: running ? 'running' : 'done', ...(running ? {} : { finishedAt: start.createdAt }), tasks }
        const { tasks: _tasks, ...stored } = revocation
        const { finishedAt: _finished, ...runningRecord } = { ...stored, status: 'running' as const }

        const txn = new Transaction().expect(keys.agent(handle), record)
        if (after !== agent) txn.set(keys.agent(handle), encode(after))
        if (ids === undefined) {
          // An agent from before the open set: fill it from the whole hash, once.
          for (const grant of grants) if (openScore(grant) !== undefined) trackOpen(txn, keys.openGrants(handle), grant)
          txn.set(keys.openGrantsComplete(handle), '1')
        }
        txn.hset(keys.revocations(handle), start.id, encode(stored))
        for (const task of tasks) txn.hset(keys.tasks(handle, start.id), task.grantId, encode(task))
        // A grant scope names one grant, read above; agent and binding scopes take in every
        // grant that opened since (a beginGrant that committed between this read and this commit).
        if (scope.kind !== 'grant') {
          txn.tasksForLateGrants({
            openKey: keys.openGrants(handle), grantsKey: keys.grants(handle), tasksKey: keys.tasks(handle, start.id), revocationsKey: keys.revocations(handle),
            afterMs: now, seen: grants.map(byId), ...(scope.kind === 'binding' ? { bindingId: scope.bindingId } : {}), revocationId: start.id,
            runningJson: running ? '' : encode(runningRecord), task: taskFor('', ''),
          })
        }
        txn.sealAudit(keys, handle, audit, heads)
        // Index entries first, as supersets (keys.ts (2)); the sweep entry makes the cascade
        // index the late tasks, which only the commit knows.
        const before = [
          () => call(() => client.set(keys.revocation(start.id), handle)),
          outboxEntries(start.id, start.createdAt),
          index.zadd(keys.openRevocations, start.createdAt.getTime(), start.id),
          ...tasks.map((task) => index.zadd(keys.dueTasks, task.nextAttemptAt.getTime(), indexMember(handle, start.id, task.grantId))),
          ...(scope.kind === 'grant' ? [] : [index.zadd(keys.dueTasks, start.createdAt.getTime(), indexMember(handle, start.id, sweepMember))]),
        ]
        await Promise.all(before.map((step) => step()))
        if (!(await commit(txn))) continue
        const late = decodeAll(txn.lateTasks, decodeTask, (t) => t.grantId)
        return { revocation: late.length === 0 ? revocation : { ...header, status: 'running', tasks: [...tasks, ...late] }, agent: after }
      }
    },

    getRevocation,

    async listOpenRevocations() {
      const ids = await call(() => client.zrange(keys.openRevocations, 0, -1))
      const revocations = await Promise.all(ids.map(getRevocation))
      const open: Revocation[] = []
      for (const [i, revocation] of revocations.entries()) {
        if (revocation?.status === 'running') open.push(revocation)
        else if (revocation?.status === 'done') await index.zrem(keys.openRevocations, ids[i]!)().catch(noop)
      }
      return open
    },

    async claimTasks(owner, now, leaseMs, limit) {
      // Due-index entries are hints; claimOne decides against the task itself. Looking at four
      // times `limit` candidates lets a pass skip those another replica took meanwhile.
      const candidates = await call(() => client.zrangebyscore(keys.dueTasks, '-inf', now.getTime(), 'LIMIT', 0, limit * 4 + 16))
      const claimed: RevocationTask[] = []
      for (const member of candidates) {
        if (claimed.length >= limit) break
        const task = await claimOne(member, owner, now, leaseMs)
        if (task) claimed.push(task)
      }
      return claimed
    },

    async completeTask(owner, revocationId, grantId, result, now, audit) {
      const handle = await call(() => client.get(keys.revocation(revocationId)))
      if (handle === null) return { completed: false, revocationDone: false }
      const tasksKey = keys.tasks(handle, revocationId)
      return mutate<TaskCompletion>(async () => {
        const [head, taskRecord, grantRecord, revocationRecord, taskRecords] = (await snapshot([
          ['get', keys.head(handle)],
          ['hget', tasksKey, grantId],
          ['hget', keys.grants(handle), grantId],
          ['hget', keys.revocations(handle), revocationId],
          ['hvals', tasksKey],
        ])) as [string | null, string | null, string | null, string | null, string[]]
        const task = decodeTask(taskRecord)
        const held = task?.status === 'pending' && task.leaseOwner === owner && task.leaseExpiresAt !== undefined && task.leaseExpiresAt > now
        const revocation = decodeRevocation(revocationRecord)
        if (!held || task === undefined || revocation === undefined) return { result: { completed: false, revocationDone: false } }

        // `attempts` counts failed tries (retryTask), as for webhook deliveries.
        const done: RevocationTask = { ...withoutLease(task), status: 'done', outcome: result.outcome }
        // Guarded on the task as read (the lease) and, through appendAudit, on the head.
        const txn = new Transaction().expect(tasksKey, taskRecord, grantId).hset(tasksKey, grantId, encode(done))
        const grant = decodeGrant(grantRecord)
        if (grant !== undefined) {
          const { sealedSecret: _erased, ...kept } = grant
          const ended = result.grantStatus === 'revoked' || result.grantStatus === 'expired'
          const settled: Grant = { ...kept, status: result.grantStatus, ...(ended ? { endedAt: grant.endedAt ?? now } : {}) }
          trackOpen(txn.hset(keys.grants(handle), grantId, encode(settled)), keys.openGrants(handle), settled)
        }
        const last = !decodeAll(taskRecords, decodeTask, (t) => t.grantId).some((t) => t.grantId !== grantId && t.status === 'pending')
        if (last) txn.hset(keys.revocations(handle), revocationId, encode({ ...revocation, status: 'done', finishedAt: now }))
        txn.appendAudit(keys, handle, head, audit)
        const after = [index.zrem(keys.dueTasks, indexMember(handle, revocationId, grantId)), ...(last ? [index.zrem(keys.openRevocations, revocationId)] : [])]
        return { result: { completed: true, revocationDone: last }, write: { txn, after } }
      })
    },

    async retryTask(owner, revocationId, grantId, nextAttemptAt, error) {
      const handle = await call(() => client.get(keys.revocation(revocationId)))
      if (handle === null) return
      const tasksKey = keys.tasks(handle, revocationId)
      await mutate(async () => {
        const raw = await call(() => client.hget(tasksKey, grantId))
        const task = decodeTask(raw)
        // Only the lease holder reschedules; anyone else's retry is ignored.
        if (task === undefined || task.status !== 'pending' || task.leaseOwner !== owner) return { result: undefined }
        const next: RevocationTask = { ...withoutLease(task), attempts: task.attempts + 1, nextAttemptAt, lastError: error }
        const txn = new Transaction().expect(tasksKey, raw, grantId).hset(tasksKey, grantId, encode(next))
        return { result: undefined, write: { txn, after: [index.rescore(keys.dueTasks, nextAttemptAt.getTime(), indexMember(handle, revocationId, grantId))] } }
      })
    },

    async appendAudit(handle, audit: AuditDraft) {
      return mutate(async () => {
        const head = await headOf(handle)
        if (head === null) throw new AgentNotFound(handle)
        const txn = new Transaction()
        const event = txn.appendAudit(keys, handle, head, audit)
        return { result: event, write: { txn } }
      })
    },

    async readAudit(handle, options = {}) {
      const from = options.afterSeq ?? 0
      const to = options.limit === undefined ? -1 : from + options.limit - 1
      if (options.limit !== undefined && options.limit <= 0) return []
      // List position i holds seq i + 1: the chain has no gaps and is only appended to.
      return decodeAll(await call(() => client.lrange(keys.audit(handle), from, to)), decodeEvent, (e) => String(e.seq).padStart(16, '0'))
    },

    async useOnce(key, expiresAt, now) {
      const ttlMs = Math.max(1, expiresAt.getTime() - now.getTime())
      return (await useOnceScript(client, [keys.once(key)], [expiresAt.getTime(), now.getTime(), ttlMs])) === 1
    },

    async revokeToken(jti, expiresAt) {
      // The record holds the expiry, compared with the caller's `now`; the TTL only frees memory
      // and never undercuts it (a minute of slack for clock skew between replicas).
      const ttlMs = Math.max(60_000, expiresAt.getTime() - clock.now().getTime() + 60_000)
      await call(() => client.set(keys.revokedToken(jti), String(expiresAt.getTime()), 'PX', ttlMs))
    },

    async isTokenRevoked(jti, now) {
      const until = await call(() => client.get(keys.revokedToken(jti)))
      return until !== null && Number(until) > now.getTime()
    },

    async putSigningKey(key) {
      // HSETNX: putting a key again never undoes its retirement.
      await call(() => client.hsetnx(keys.signingKeys, key.kid, encode(key)))
    },

    async retireSigningKey(kid, at) {
      await mutate(async () => {
        const raw = await call(() => client.hget(keys.signingKeys, kid))
        const key = decodeSigningKey(raw)
        if (key === undefined || key.retiredAt !== undefined) return { result: undefined }
        const txn = new Transaction().expect(keys.signingKeys, raw, kid).hset(keys.signingKeys, kid, encode({ ...key, retiredAt: at }))
        return { result: undefined, write: { txn } }
      })
    },

    async listSigningKeys() {
      return decodeAll(await call(() => client.hvals(keys.signingKeys)), decodeSigningKey, (k) => `${k.createdAt.toISOString()} ${k.kid}`)
    },

    ...createWebhookMethods(client, keys, { getRevocation, revocationStatus, clock }),

    async ping() {
      await call(() => client.ping())
    },

    async close() {
      if (closed) return
      closed = true
      await onClose()
    },
  }
  return failClosed(store, () => closed)
}

/**
 * Wraps every method but `close`: after close, StoreUnavailable at once; any failure that is
 * not already a catalogue error (a draft that cannot be sealed, a corrupt record) becomes
 * InternalFailure, so callers only ever see the catalogue.
 */
function failClosed(store: Store, isClosed: () => boolean): Store {
  const wrapped: Record<string, unknown> = {}
  for (const [name, method] of Object.entries(store) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    wrapped[name] =
      name === 'close'
        ? method
        : async (...args: unknown[]) => {
            if (isClosed()) throw new StoreUnavailable({ detail: 'the store was closed' })
            try {
              return await method(...args)
            } catch (error) {
              throw isLanyardError(error) ? error : new InternalFailure({ cause: error })
            }
          }
  }
  return wrapped as unknown as Store
}

/** A Store on its own connection, closed with it. The conformance tests open one per case. */
export async function openRedisStore(options: ConnectionOptions & RedisStoreOptions): Promise<Store> {
  redisKeys(options.keyPrefix)
  const client = await openReadyClient(options)
  return createStoreOn(client, options, () => closeClient(client))
}
