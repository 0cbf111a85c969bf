import { AgentNotFound, BindingNotFound, GrantNotFound, grantAfterTask, isOpenAt, type Grant, type Revocation, type RevocationEventType, type RevocationScope, type RevocationStart, type RevocationStore, type RevocationTask, type TaskCompletion } from '@lanyard/core'
import { applyStatus } from './agents.js'
import { releaseExclusive } from './bindings.js'
import { decodeAgent, decodeAll, decodeBinding, decodeGrant, decodeRevocation, decodeTask, encode } from './codec.js'
import { call } from './connection.js'
import { noop, type RedisDatabase } from './database.js'
import { openScore, trackOpen } from './grants.js'
import { indexMember, parseIndexMember } from './keys.js'
import { Transaction } from './transaction.js'

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

/** Tries to lease one task; undefined if it is not claimable (and its index entry is repaired). */
export async function claimOne(db: RedisDatabase, member: string, owner: string, now: Date, leaseMs: number): Promise<RevocationTask | undefined> {
  const { client, keys, snapshot, index } = db
  const [handle, revocationId, grantId] = parseIndexMember(member)
  if (handle === undefined || revocationId === undefined || grantId === undefined) return undefined
  const tasksKey = keys.tasks(handle, revocationId)
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
  if (!(await new Transaction().expect(tasksKey, raw, grantId).hset(tasksKey, grantId, encode(leased)).commit(client))) return undefined
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
      return mutate(async () => {
        const now = start.createdAt.getTime()
        const [head, record, complete, openIds, bindingRecord, allBindings] = (await snapshot([
          ['get', keys.head(handle)],
          ['get', keys.agent(handle)],
          ['get', keys.openGrantsComplete(handle)],
          ['zrangebyscore', keys.openGrants(handle), `(${now}`, '+inf'],
          ['hget', keys.bindings(handle), system],
          ['hvals', keys.bindings(handle)],
        ])) as [string | null, string | null, string | null, string[], string | null, string[]]
        const agent = decodeAgent(record)
        if (agent === undefined) throw new AgentNotFound(handle)
        const after = start.statusChange ? applyStatus(agent, start.statusChange, audit.at) : agent
        const binding = decodeBinding(bindingRecord)
        if (start.bindingChange !== undefined && binding === undefined) throw new BindingNotFound(handle, system)
        // Read after the snapshot, but the commit is guarded on its head: a grant begun or
        // settled in between moves the head, and this round reads again.
        const { scope } = start
        const ids = scope.kind === 'grant' ? [scope.grantId] : complete === null ? undefined : openIds
        const grants = await readGrants(db, handle, ids)
        if (scope.kind === 'grant' && grants.length === 0) throw new GrantNotFound(scope.grantId)
        // Every grant begun before this commit is in `grants`: beginGrant moves the head this
        // commit is guarded on. So a pending grant racing the revocation is either refused or
        // gets a task here.
        const taken = grants.filter((g) => inScope(scope, g) && (isOpenAt(g, start.createdAt) || (scope.kind === 'grant' && g.status === 'live')))

        const txn = new Transaction()
        if (after !== agent) txn.set(keys.agent(handle), encode(after))
        if (ids === undefined) {
          // An agent from before the open set: fill it from the whole hash, once.
          for (const grant of grants) if (openScore(grant) !== undefined) trackOpen(txn, keys.openGrants(handle), grant)
          txn.set(keys.openGrantsComplete(handle), '1')
        }
        const afterCommit: Array<() => Promise<unknown>> = []
        if (start.bindingChange === 'revoke' && binding !== undefined) txn.hset(keys.bindings(handle), system, encode({ ...binding, status: 'revoked', revokedAt: binding.revokedAt ?? start.createdAt }))
        if (start.bindingChange === 'remove') txn.hdel(keys.bindings(handle), system)
        if (start.bindingChange !== undefined && binding?.exclusiveKey !== undefined) afterCommit.push(releaseExclusive(db, system, binding.exclusiveKey, handle))
        // A revoked agent holds no binding: each ends with it (and frees its exclusive target).
        if (after.status === 'revoked') {
          for (const held of decodeAll(allBindings, decodeBinding, (b) => b.system)) {
            if (held.status === 'revoked') continue
            txn.hset(keys.bindings(handle), held.system, encode({ ...held, status: 'revoked', revokedAt: start.createdAt }))
            if (held.exclusiveKey !== undefined) afterCommit.push(releaseExclusive(db, held.system, held.exclusiveKey, handle))
          }
        }
        const { statusChange: _change, bindingChange: _binding, ...header } = start
        const { revocation, before } = addJob(db, txn, header, taken)
        txn.appendAudit(keys, handle, head, audit)
        return { result: { revocation, agent: after }, write: { txn, before, after: afterCommit } }
      })
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
