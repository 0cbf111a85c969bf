import { AgentNotFound, BindingNotFound, GrantNotFound, grantAfterTask, isOpenAt, type Grant, type Revocation, type RevocationEventType, type RevocationScope, type RevocationStart, type RevocationStore, type RevocationTask, type TaskCompletion } from '@lanyard/core'
import { applyStatus } from './agents.js'
import { releaseExclusive } from './bindings.js'
import { decodeAgent, decodeAll, decodeBinding, decodeGrant, decodeRevocation, decodeTask, encode } from './codec.js'
import { call } from './connection.js'
import { noop, type RedisDatabase } from './database.js'
import { openScore, trackOpen } from './grants.js'
import { indexMember, parseIndexMember } from './keys.js'
import { Transaction } from './transaction.js'

/**
 * The grant id of a revocation's sweep entry in the due-task index: written before the commit
 * of an agent or binding revocation, it has the cascade index every task of that revocation,
 * the ones the commit added for late grants included (claimOne).
 */
const sweepMember = '*'
/** How soon a due-task entry whose revocation has not committed yet is looked at again. */
const uncommittedRecheckMs = 1_000
const byId = (item: { id: string }) => item.id

/** Field and value of one outbox entry in the `outbox` hash (read by webhooks.ts). */
export function outboxEntry(revocationId: string, type: RevocationEventType, at: Date): [field: string, value: string] {
  return [indexMember(revocationId, type), String(at.getTime())]
}

/** Both outbox entries of a revocation, written before its commit (see keys.ts (4)). */
function outboxEntries(db: RedisDatabase, revocationId: string, at: Date) {
  return () => call(() => db.client.hset(db.keys.outbox, ...outboxEntry(revocationId, 'revocation.started', at), ...outboxEntry(revocationId, 'revocation.finished', at)))
}

function inScope(scope: RevocationScope, grant: Grant): boolean {
  switch (scope.kind) {
    case 'agent':
      return true
    case 'binding':
      // Every open grant of the agent on the system, whichever binding version issued it.
      return grant.system === scope.system
    case 'grant':
      return grant.id === scope.grantId
  }
}

function withoutLease(task: RevocationTask): RevocationTask {
  const { leaseOwner: _owner, leaseExpiresAt: _expires, ...rest } = task
  return rest
}

export async function readRevocation(db: RedisDatabase, id: string): Promise<Revocation | undefined> {
  const { client, keys, snapshot } = db
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
export async function revocationStatus(db: RedisDatabase, id: string): Promise<Revocation['status'] | undefined> {
  const { client, keys } = db
  const handle = await call(() => client.get(keys.revocation(id)))
  if (handle === null) return undefined
  return decodeRevocation(await call(() => client.hget(keys.revocations(handle), id)))?.status
}

/**
 * A sweep entry (sweepMember): indexes every open task of the revocation (NX: an entry the
 * cascade already rescored keeps its score), then goes. Before the revocation commits it is
 * looked at again later, like a task's own entry.
 */
async function sweep(db: RedisDatabase, member: string, handle: string, revocationId: string, now: Date): Promise<void> {
  const { client, keys, snapshot, index } = db
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
export async function claimOne(db: RedisDatabase, member: string, owner: string, now: Date, leaseMs: number): Promise<RevocationTask | undefined> {
  const { client, keys, snapshot, index } = db
  const [handle, revocationId, grantId] = parseIndexMember(member)
  if (handle === undefined || revocationId === undefined || grantId === undefined) return undefined
  const tasksKey = keys.tasks(handle, revocationId)
  if (grantId === sweepMember) {
    await sweep(db, member, handle, revocationId, now)
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
  if (!(await new Transaction().expect(tasksKey, raw, grantId).hset(tasksKey, grantId, encode(leased)).commit(client, db.wait))) return undefined
  await index.rescore(keys.dueTasks, leased.leaseExpiresAt!.getTime(), member)().catch(noop)
  return leased
}

/** The agent's grants with these ids, or all of them (`undefined`: an agent from before the open set). */
export async function readGrants(db: RedisDatabase, handle: string, ids: readonly string[] | undefined): Promise<Grant[]> {
  const { client, keys } = db
  const records = ids === undefined ? await call(() => client.hvals(keys.grants(handle))) : ids.length === 0 ? [] : await call(() => client.hmget(keys.grants(handle), ...ids))
  return decodeAll(records.filter((raw): raw is string => raw !== null), decodeGrant, byId)
}

/**
 * Adds a new job with one pending task per grant to `txn` (the agent's commit), and returns it
 * with the index entries to write before that commit. A job with no task is born done.
 */
export function addJob(db: RedisDatabase, txn: Transaction, start: Omit<RevocationStart, 'statusChange' | 'bindingChange'>, grants: readonly Grant[]): { revocation: Revocation; before: Array<() => Promise<unknown>> } {
  const { client, keys, index } = db
  const { handle } = start.scope
  const tasks: RevocationTask[] = grants.map((g) => ({ revocationId: start.id, grantId: g.id, handle, system: g.system, status: 'pending', attempts: 0, nextAttemptAt: start.createdAt }))
  const running = tasks.length > 0
  const revocation: Revocation = { ...start, status: running ? 'running' : 'done', ...(running ? {} : { finishedAt: start.createdAt }), tasks }
  const { tasks: _tasks, ...stored } = revocation
  txn.hset(keys.revocations(handle), start.id, encode(stored))
  for (const task of tasks) txn.hset(keys.tasks(handle, start.id), task.grantId, encode(task))
  const before = [
    () => call(() => client.set(keys.revocation(start.id), handle)),
    outboxEntries(db, start.id, start.createdAt),
    index.zadd(keys.allRevocations, start.createdAt.getTime(), start.id),
    ...(running ? [index.zadd(keys.openRevocations, start.createdAt.getTime(), start.id)] : []),
    ...tasks.map((task) => index.zadd(keys.dueTasks, task.nextAttemptAt.getTime(), indexMember(handle, start.id, task.grantId))),
  ]
  return { revocation, before }
}

/** Revocation jobs (`revocations` hash per agent), their tasks (`tasks`), and the global
 * indexes that find them: revocation id -> handle, open revocations, due tasks. */
export function createRevocationMethods(db: RedisDatabase): RevocationStore {
  const { client, keys, snapshot, mutate, index } = db
  return {
    async startRevocation(start, audit) {
      const { handle } = start.scope
      const system = start.scope.kind === 'binding' ? start.scope.system : ''
      // One commit whatever the agent's exchange rate: guarded only on the agent record (which
      // exchanges never write; a status change does) and the bindings it rewrites (which
      // exchanges never write; a put or another revoke does), the event sealed in the script,
      // and the grants that opened after this read given their tasks by the script itself
      // (TASKS in scripts/commit.ts). Only a concurrent status or binding change makes it read again.
      for (;;) {
        const now = start.createdAt.getTime()
        const [record, complete, openIds, bindingRecord, allBindings] = (await snapshot([
          ['get', keys.agent(handle)],
          ['get', keys.openGrantsComplete(handle)],
          ['zrangebyscore', keys.openGrants(handle), `(${now}`, '+inf'],
          ['hget', keys.bindings(handle), system],
          ['hvals', keys.bindings(handle)],
        ])) as [string | null, string | null, string[], string | null, string[]]
        const agent = decodeAgent(record)
        if (agent === undefined) throw new AgentNotFound(handle)
        const after = start.statusChange ? applyStatus(agent, start.statusChange, audit.at) : agent
        const binding = decodeBinding(bindingRecord)
        if (start.bindingChange !== undefined && binding === undefined) throw new BindingNotFound(handle, system)
        const { scope } = start
        const ids = scope.kind === 'grant' ? [scope.grantId] : complete === null ? undefined : openIds
        const grants = await readGrants(db, handle, ids)
        if (scope.kind === 'grant' && grants.length === 0) throw new GrantNotFound(scope.grantId)
        const taskFor = (grantId: string, grantSystem: string): RevocationTask => ({ revocationId: start.id, grantId, handle, system: grantSystem, status: 'pending', attempts: 0, nextAttemptAt: start.createdAt })
        const tasks: RevocationTask[] = grants
          .filter((g) => inScope(scope, g) && (isOpenAt(g, start.createdAt) || (scope.kind === 'grant' && g.status === 'live')))
          .map((g) => taskFor(g.id, g.system))
        const running = tasks.length > 0
        const { statusChange: _change, bindingChange: _binding, ...header } = start
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
        // The binding's end commits with the job (guarded on the binding as read): from this
        // commit on, beginGrant refuses the binding (its #binding guard), and every grant it
        // let in before is in `grants` or gets its task from TASKS below.
        const afterCommit: Array<() => Promise<unknown>> = []
        if (start.bindingChange !== undefined) txn.expect(keys.bindings(handle), bindingRecord, system)
        if (start.bindingChange === 'revoke' && binding !== undefined) txn.hset(keys.bindings(handle), system, encode({ ...binding, status: 'revoked', revokedAt: binding.revokedAt ?? start.createdAt }))
        if (start.bindingChange === 'remove') txn.hdel(keys.bindings(handle), system)
        if (start.bindingChange !== undefined && binding?.exclusiveKey !== undefined) afterCommit.push(releaseExclusive(db, system, binding.exclusiveKey, handle))
        // A revoked agent holds no binding: each ends with it (and frees its exclusive target).
        if (after.status === 'revoked') {
          for (const raw of allBindings) {
            const held = decodeBinding(raw)
            if (held === undefined || held.status === 'revoked') continue
            txn.expect(keys.bindings(handle), raw, held.system).hset(keys.bindings(handle), held.system, encode({ ...held, status: 'revoked', revokedAt: start.createdAt }))
            if (held.exclusiveKey !== undefined) afterCommit.push(releaseExclusive(db, held.system, held.exclusiveKey, handle))
          }
        }
        txn.hset(keys.revocations(handle), start.id, encode(stored))
        for (const task of tasks) txn.hset(keys.tasks(handle, start.id), task.grantId, encode(task))
        // A grant scope names one grant, read above; agent and binding scopes take in every
        // grant that opened since (a beginGrant that committed between this read and this
        // commit): a binding scope every one on its system, whichever binding version.
        if (scope.kind !== 'grant') {
          txn.tasksForLateGrants({
            openKey: keys.openGrants(handle), grantsKey: keys.grants(handle), tasksKey: keys.tasks(handle, start.id), revocationsKey: keys.revocations(handle),
            afterMs: now, seen: grants.map(byId), ...(scope.kind === 'binding' ? { system: scope.system } : {}), revocationId: start.id,
            runningJson: running ? '' : encode(runningRecord), task: taskFor('', ''),
          })
        }
        txn.sealAudit(keys, handle, audit, db.heads)
        // Index entries first, as supersets (keys.ts (2)); the sweep entry makes the cascade
        // index the late tasks, which only the commit knows.
        const before = [
          () => call(() => client.set(keys.revocation(start.id), handle)),
          outboxEntries(db, start.id, start.createdAt),
          index.zadd(keys.allRevocations, start.createdAt.getTime(), start.id),
          index.zadd(keys.openRevocations, start.createdAt.getTime(), start.id),
          ...tasks.map((task) => index.zadd(keys.dueTasks, task.nextAttemptAt.getTime(), indexMember(handle, start.id, task.grantId))),
          ...(scope.kind === 'grant' ? [] : [index.zadd(keys.dueTasks, start.createdAt.getTime(), indexMember(handle, start.id, sweepMember))]),
        ]
        await Promise.all(before.map((step) => step()))
        if (!(await db.commit(txn))) continue
        await Promise.allSettled(afterCommit.map((step) => step()))
        const late = decodeAll(txn.lateTasks, decodeTask, (t) => t.grantId)
        return { revocation: late.length === 0 ? revocation : { ...header, status: 'running', tasks: [...tasks, ...late] }, agent: after }
      }
    },

    getRevocation: (id) => readRevocation(db, id),

    async listOpenRevocations() {
      const ids = await call(() => client.zrange(keys.openRevocations, 0, -1))
      const revocations = await Promise.all(ids.map((id) => readRevocation(db, id)))
      const open: Revocation[] = []
      for (const [i, revocation] of revocations.entries()) {
        if (revocation?.status === 'running') open.push(revocation)
        else if (revocation?.status === 'done') await index.zrem(keys.openRevocations, ids[i]!)().catch(noop)
      }
      return open
    },

    async listRevocations({ before, limit }) {
      // The index is a superset (written before each commit): an id whose commit never landed
      // reads as nothing and is skipped, so a page asks for a little more than it shows.
      const ids = await call(() => client.zrevrangebyscore(keys.allRevocations, before === undefined ? '+inf' : `(${before.getTime()}`, '-inf', 'LIMIT', 0, limit + 16))
      const revocations = await Promise.all(ids.map((id) => readRevocation(db, id)))
      return revocations.filter((r): r is Revocation => r !== undefined).slice(0, limit)
    },

    async claimTasks(owner, now, leaseMs, limit) {
      // Due-index entries are hints; claimOne decides against the task itself. Looking at four
      // times `limit` candidates lets a pass skip those another replica took meanwhile.
      const candidates = await call(() => client.zrangebyscore(keys.dueTasks, '-inf', now.getTime(), 'LIMIT', 0, limit * 4 + 16))
      const claimed: RevocationTask[] = []
      for (const member of candidates) {
        if (claimed.length >= limit) break
        const task = await claimOne(db, member, owner, now, leaseMs)
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
          const settled = grantAfterTask(grant, result.grantStatus, now)
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
  }
}
