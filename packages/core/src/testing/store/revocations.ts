import { beforeEach, describe, expect, it } from 'vitest'
import type { Grant } from '../../exchange/grant.js'
import { verifyAuditChain } from '../../audit/chain.js'
import type { Store, TaskResult } from '../../ports/store/index.js'
import type { FakeClock } from '../fake-clock.js'
import { auditActions, draft, uniqueHandle, uniqueId } from '../store-fixtures.js'
import { raceExchangesWithRevocation, revokeAgent, revoked, leaseMs, rejectsWith, ids, type StoreKit } from './kit.js'

/** Revocation jobs, tasks and leases: RevocationStore. */
export function revocationCases(kit: StoreKit): void {
  const { seed, replicas, revocationStart, revokeWithGrants, taskOf } = kit
  describe('revocations', () => {
    let store: Store
    let clock: FakeClock
    beforeEach(() => {
      store = kit.store
      clock = kit.clock
    })

    it('listRevocations gives the history newest first, before a time and up to a limit, finished jobs and jobs without tasks included', async () => {
      const quiet = await seed.agent()
      const first = await store.startRevocation(revocationStart({ kind: 'agent', handle: quiet.handle }, { status: 'suspended', reason: 'first', from: ['active'] }), draft(clock, 'agent.suspended', quiet.handle))
      clock.advance(1_000)
      const busy = await seed.agent()
      await seed.grant(await seed.binding(busy), 'live')
      const second = await store.startRevocation(revocationStart({ kind: 'agent', handle: busy.handle }, revokeAgent), draft(clock, 'agent.revoked', busy.handle, { reason: 'second' }))
      const mine = (list: readonly { id: string }[]) => list.map((r) => r.id).filter((id) => id === first.revocation.id || id === second.revocation.id)

      const all = await store.listRevocations({ limit: 1_000 })
      expect(mine(all)).toEqual([second.revocation.id, first.revocation.id])
      expect(all.find((r) => r.id === second.revocation.id)).toEqual(await store.getRevocation(second.revocation.id))
      expect(mine(await store.listRevocations({ before: second.revocation.createdAt, limit: 1_000 }))).toEqual([first.revocation.id])
      const times = all.map((r) => r.createdAt.getTime())
      expect(times).toEqual([...times].sort((a, b) => b - a))
      expect(await store.listRevocations({ limit: 1 })).toHaveLength(1)
    })

    it('startRevocation of an agent revokes it, bumps its generation and opens one task per live or pending grant, in one write', async () => {
      const agent = await seed.agent()
      const github = await seed.binding(agent, 'github-acme')
      const aws = await seed.binding(agent, 'aws-prod')
      // Live on record but expired by the time of the revocation: dead already, no task.
      const expired = await seed.grant(github, 'live', { live: { expiresAt: new Date(clock.now().getTime() + 5_000) } })
      const live = [await seed.grant(github, 'live'), await seed.grant(aws, 'live')]
      const pending = await seed.grant(github, 'pending')
      await seed.grant(github, 'failed')
      const bystander = await seed.grant(await seed.binding(await seed.agent()), 'live')
      clock.advance(5_000)
      const start = revocationStart({ kind: 'agent', handle: agent.handle }, revokeAgent)
      const event = draft(clock, 'agent.revoked', agent.handle, { reason: 'key leaked' })
      const before = await auditActions(store, agent.handle)

      const { revocation, agent: after } = await store.startRevocation(start, event)
      expect(after).toEqual({ ...agent, status: 'revoked', statusReason: 'key leaked', generation: agent.generation + 1, updatedAt: event.at })
      expect(revocation).toMatchObject({ id: start.id, scope: start.scope, reason: start.reason, actor: start.actor, createdAt: start.createdAt, status: 'running' })
      expect(revocation.finishedAt).toBeUndefined()
      expect(ids(revocation.tasks)).toEqual(ids([...live, pending]))
      for (const task of revocation.tasks) {
        const grant = [...live, pending].find((g) => g.id === task.grantId)!
        expect(task).toEqual({ revocationId: start.id, grantId: grant.id, handle: agent.handle, system: grant.system, status: 'pending', attempts: 0, nextAttemptAt: start.createdAt })
      }
      expect(await store.getRevocation(start.id)).toEqual(revocation)
      expect(await store.getAgent(agent.handle)).toEqual(after)
      expect((await store.listOpenRevocations()).map((r) => r.id)).toContain(start.id)
      expect(ids(revocation.tasks)).not.toContain(bystander.id)
      expect(ids(revocation.tasks)).not.toContain(expired.id)
      expect(await store.getRevocation(uniqueId('revocation'))).toBeUndefined()
      expect(await auditActions(store, agent.handle)).toEqual([...before, 'agent.revoked'])
    })

    it('startRevocation of a binding or of a grant covers only that, and changes no status unless asked', async () => {
      const agent = await seed.agent()
      const github = await seed.binding(agent, 'github-acme')
      const aws = await seed.binding(agent, 'aws-prod')
      const onGithub = [await seed.grant(github, 'live'), await seed.grant(github, 'live')]
      const onAws = await seed.grant(aws, 'live')

      const byBinding = await store.startRevocation(revocationStart({ kind: 'binding', handle: agent.handle, system: 'github-acme', bindingId: github.id }), draft(clock, 'binding.revoked', agent.handle))
      expect(ids(byBinding.revocation.tasks)).toEqual(ids(onGithub))
      expect(byBinding.agent).toEqual(agent)
      clock.advance(1_000)
      const byGrant = await store.startRevocation(revocationStart({ kind: 'grant', handle: agent.handle, grantId: onAws.id }), draft(clock, 'grant.revoke', onAws.id))
      expect(ids(byGrant.revocation.tasks)).toEqual([onAws.id])
      const open = (await store.listOpenRevocations()).map((r) => r.id)
      expect(open.filter((id) => id === byBinding.revocation.id || id === byGrant.revocation.id)).toEqual([byBinding.revocation.id, byGrant.revocation.id])
      expect(await store.getAgent(agent.handle)).toEqual(agent)
      // The agent is still active: grants begun after a binding revocation are new, not in scope.
      expect((await seed.grant(github, 'live')).status).toBe('live')
      await rejectsWith(store.startRevocation(revocationStart({ kind: 'grant', handle: agent.handle, grantId: uniqueId('grant') }), draft(clock, 'grant.revoke', 'nothing')), 'ERR_GRANT_NOT_FOUND')
    })

    it('a revocation with nothing to revoke is done at once', async () => {
      const agent = await seed.agent()
      await seed.grant(await seed.binding(agent), 'failed')
      const start = revocationStart({ kind: 'agent', handle: agent.handle }, revokeAgent)
      const { revocation } = await store.startRevocation(start, draft(clock, 'agent.revoked', agent.handle))
      expect(revocation).toMatchObject({ status: 'done', finishedAt: start.createdAt, tasks: [] })
      expect((await store.listOpenRevocations()).map((r) => r.id)).not.toContain(start.id)
    })

    it('startRevocation refuses a status change from a status not listed, writing nothing', async () => {
      const agent = await seed.agent()
      const binding = await seed.binding(agent)
      await seed.grant(binding, 'live')
      const gone = await store.changeAgentStatus(agent.handle, revokeAgent, draft(clock, 'agent.revoked', agent.handle))
      const before = await store.readAudit(agent.handle)
      const start = revocationStart({ kind: 'agent', handle: agent.handle }, revokeAgent)
      await rejectsWith(store.startRevocation(start, draft(clock, 'agent.revoked', agent.handle)), 'ERR_AGENT_NOT_ACTIVE')
      expect(await store.getRevocation(start.id)).toBeUndefined()
      expect(await store.getAgent(agent.handle)).toEqual(gone)
      expect(await store.readAudit(agent.handle)).toEqual(before)
      await rejectsWith(store.startRevocation(revocationStart({ kind: 'agent', handle: uniqueHandle() }, revokeAgent), draft(clock, 'agent.revoked', 'nobody')), 'ERR_AGENT_NOT_FOUND')
    })

    it('check generation + record grant is atomic under contention: every grant recorded is in the revocation, or was refused', async () => {
      const stores = await replicas(3)
      const agent = await seed.agent()
      const binding = await seed.binding(agent)
      const start = revocationStart({ kind: 'agent', handle: agent.handle }, revokeAgent)
      const recorded = await raceExchangesWithRevocation({ clock, stores, agent, binding, start, action: 'agent.revoked', refusal: 'ERR_AGENT_NOT_ACTIVE' })
      const revocation = await store.getRevocation(start.id)
      expect(ids(revocation?.tasks ?? [])).toEqual(recorded)
      expect(ids(await store.listGrants(agent.handle))).toEqual(recorded)
      expect(verifyAuditChain(await store.readAudit(agent.handle))).toMatchObject({ ok: true })
    })

    it('claimTasks leases each task to one owner at a time and leases it again once the lease expired', async () => {
      const { grants, revocationId } = await revokeWithGrants(3)
      const t0 = clock.now()
      const first = await store.claimTasks('worker-a', t0, leaseMs, 2)
      expect(first).toHaveLength(2)
      for (const task of first) expect(task).toMatchObject({ revocationId, status: 'pending', attempts: 0, leaseOwner: 'worker-a', leaseExpiresAt: new Date(t0.getTime() + leaseMs) })
      const second = await store.claimTasks('worker-b', t0, leaseMs, 10)
      expect(ids([...first, ...second])).toEqual(ids(grants))
      expect(await store.claimTasks('worker-c', new Date(t0.getTime() + leaseMs - 1), leaseMs, 10)).toEqual([])
      expect(await taskOf(revocationId, second[0]!.grantId)).toMatchObject({ leaseOwner: 'worker-b' })

      const later = new Date(t0.getTime() + leaseMs)
      const again = await store.claimTasks('worker-c', later, leaseMs, 10)
      expect(ids(again)).toEqual(ids(grants))
      for (const task of again) expect(task).toMatchObject({ leaseOwner: 'worker-c', leaseExpiresAt: new Date(later.getTime() + leaseMs) })
    })

    it('claims on several store objects never lease one task twice', async () => {
      const stores = await replicas(4)
      const { grants } = await revokeWithGrants(8)
      const claimed = await Promise.all(stores.map((s, i) => s.claimTasks(`worker-${i}`, clock.now(), leaseMs, 3)))
      expect(ids(claimed.flat())).toEqual(ids(grants))
    })

    it('completeTask finishes a task only for its lease holder, settles the grant, erases its secret and closes the job after the last task', async () => {
      const { agent, grants, revocationId } = await revokeWithGrants(2)
      const [one, two] = grants as [Grant, Grant]
      expect(one.sealedSecret).toBeDefined()
      const t0 = clock.now()
      await store.claimTasks('worker-a', t0, leaseMs, 10)
      const before = await auditActions(store, agent.handle)
      const complete = async (owner: string, grant: Grant, result: TaskResult, at: Date) => {
        const { completed, revocationDone } = await store.completeTask(owner, revocationId, grant.id, result, at, draft(clock, 'grant.revoked', grant.id))
        return completed ? (revocationDone ? 'last' : true) : revocationDone ? 'impossible' : false
      }

      // (1) Not the holder. (2) The holder, but its lease has expired.
      expect(await complete('worker-b', one, revoked, t0)).toBe(false)
      expect(await complete('worker-a', one, revoked, new Date(t0.getTime() + leaseMs))).toBe(false)
      expect(await taskOf(revocationId, one.id)).toMatchObject({ status: 'pending' })
      // (3) The holder.
      clock.advance(1_000)
      expect(await complete('worker-a', one, revoked, clock.now())).toBe(true)
      expect(await store.getGrant(agent.handle, one.id)).toEqual({ ...one, status: 'revoked', sealedSecret: undefined, endedAt: clock.now() })
      expect(await taskOf(revocationId, one.id)).toMatchObject({ status: 'done', outcome: { kind: 'revoked' } })
      expect(await store.getRevocation(revocationId)).toMatchObject({ status: 'running' })
      expect(await complete('worker-a', one, revoked, clock.now())).toBe(false)

      // (4) The last task closes the job; an unrevocable grant stays live, without its secret.
      const until = new Date(t0.getTime() + 7_200_000)
      clock.advance(1_000)
      expect(await complete('worker-a', two, { outcome: { kind: 'unrevocable-until', until }, grantStatus: 'live' }, clock.now())).toBe('last')
      const grant = await store.getGrant(agent.handle, two.id)
      expect(grant).toMatchObject({ status: 'live' })
      expect(grant?.sealedSecret).toBeUndefined()
      expect(grant?.endedAt).toBeUndefined()
      expect(await taskOf(revocationId, two.id)).toMatchObject({ status: 'done', outcome: { kind: 'unrevocable-until', until } })
      expect(await store.getRevocation(revocationId)).toMatchObject({ status: 'done', finishedAt: clock.now() })
      expect((await store.listOpenRevocations()).map((r) => r.id)).not.toContain(revocationId)
      expect(await auditActions(store, agent.handle)).toEqual([...before, 'grant.revoked', 'grant.revoked'])
    })

    it('retryTask releases the lease and schedules the next attempt, not claimable before it', async () => {
      const { agent, grants, revocationId } = await revokeWithGrants(1)
      const grantId = grants[0]!.id
      const chain = await store.readAudit(agent.handle)
      const t0 = clock.now()
      await store.claimTasks('worker-a', t0, leaseMs, 10)
      const next = new Date(t0.getTime() + 60_000)
      // Someone else's retry changes nothing (it may throw or be ignored).
      await store.retryTask('worker-b', revocationId, grantId, t0, 'not mine').catch(() => undefined)
      expect(await taskOf(revocationId, grantId)).toMatchObject({ leaseOwner: 'worker-a', attempts: 0 })

      await store.retryTask('worker-a', revocationId, grantId, next, 'upstream timed out')
      const task = await taskOf(revocationId, grantId)
      expect(task).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: next, lastError: 'upstream timed out' })
      expect(task?.leaseOwner).toBeUndefined()
      expect(await store.claimTasks('worker-b', new Date(next.getTime() - 1), leaseMs, 10)).toEqual([])
      expect(await store.claimTasks('worker-b', next, leaseMs, 10)).toMatchObject([{ grantId, attempts: 1, lastError: 'upstream timed out', leaseOwner: 'worker-b' }])
      expect((await store.listOpenRevocations()).map((r) => r.id)).toContain(revocationId)
      // Leases and retries are bookkeeping: only outcomes (completeTask) reach the audit chain.
      expect(await store.readAudit(agent.handle)).toEqual(chain)
    })
  })
}
