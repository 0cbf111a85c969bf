import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Agent } from '../agents/agent.js'
import { genesisHash, sealAuditEvent, verifyAuditChain } from '../audit/chain.js'
import type { AuditDraft, AuditEvent } from '../audit/event.js'
import { StoreUnavailable, type LanyardErrorCode } from '../errors.js'
import type { Grant } from '../exchange/grant.js'
import type { Clock } from '../ports/clock.js'
import type { RevocationStart, StatusChange, Store, TaskResult, Webhook, WebhookDelivery } from '../ports/store.js'
import type { RevocationScope, RevocationTask } from '../revocation/revocation.js'
import { FakeClock } from './fake-clock.js'
import { newTrustRule, trustRuleCases } from './store-trust-rules.js'
import {
  auditActions,
  draft,
  liveSettlement,
  newAgent,
  newBinding,
  newGrant,
  newDelivery,
  newKey,
  newSigningKey,
  newWebhook,
  seeds,
  uniqueHandle,
  uniqueId,
  yieldTurns,
} from './store-fixtures.js'

export interface StoreConformanceOptions {
  /** Shown in the suite name: `Store conformance: <name>`. */
  readonly name: string
  /** Opens a fresh, empty store. Called before every case; each case gets its own. */
  readonly create: () => Promise<Store>
  /**
   * Opens another Store object on the same backend as `store`: what a second broker process
   * sees. The concurrency cases spread their calls over several of these. Without it they run
   * on one object, and the fail-closed case cannot look behind the closed store.
   */
  readonly replica?: (store: Store) => Promise<Store>
  /** Takes the backend away from under `store` (kill the connection, stop the server). Defaults to `store.close()`. */
  readonly close?: (store: Store) => Promise<void>
  /** Frees what `create` made (files, key prefixes). Runs after each case, once its stores are closed. */
  readonly destroy?: (store: Store) => Promise<void>
}

const revokeAgent: StatusChange = { status: 'revoked', reason: 'key leaked', from: ['active', 'suspended'] }
const bump: StatusChange = { status: 'active', from: ['active'] }
const revoked: TaskResult = { outcome: { kind: 'revoked' }, grantStatus: 'revoked' }
const leaseMs = 30_000

async function rejectsWith(promise: Promise<unknown>, code: LanyardErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code })
}

/** Any catalogue error: the store translated whatever went wrong, it did not leak it. */
async function rejectsFromCatalogue(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_[A-Z_]+$/) })
}

function ids(items: readonly (Grant | RevocationTask | Webhook | WebhookDelivery)[]): string[] {
  return items.map((item) => ('grantId' in item ? item.grantId : item.id)).sort()
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i)
}

/**
 * Registers the Store conformance cases (vitest `describe`/`it`): every method of the port,
 * the races that matter (one handle, generation bumps, grant vs revocation, task leases, replay)
 * and failing closed. One call per store implementation:
 *
 * ```ts
 * storeConformance({ name: 'sqlite', create: () => createSqliteStore({ path: tmpFile() }) })
 * ```
 *
 * Cases pass every time explicitly (no store reads the wall clock), so a store that stamps its
 * own `new Date()` where the contract says otherwise fails here.
 */
export function storeConformance(options: StoreConformanceOptions): void {
  describe(`Store conformance: ${options.name}`, () => {
    let store: Store
    let clock: FakeClock
    let others: Store[] = []
    const now: Clock = { now: () => clock.now() }
    const seed = seeds(() => store, now)

    beforeEach(async () => {
      clock = new FakeClock()
      others = []
      store = await options.create()
    })

    afterEach(async () => {
      await Promise.allSettled([...others, store].map((s) => s.close()))
      await options.destroy?.(store)
    })

    /** `count` Store objects on this case's backend, `store` first. */
    async function replicas(count: number): Promise<Store[]> {
      const list = [store]
      while (list.length < count) {
        const replica = options.replica ? await options.replica(store) : store
        if (replica !== store) others.push(replica)
        list.push(replica)
      }
      return list
    }

    function revocationStart(scope: RevocationScope, statusChange?: StatusChange): RevocationStart {
      return { id: uniqueId('revocation'), scope, reason: 'key leaked', actor: 'admin:conformance', createdAt: clock.now(), ...(statusChange ? { statusChange } : {}) }
    }

    async function revokeWithGrants(count: number): Promise<{ agent: Agent; grants: Grant[]; revocationId: string }> {
      const agent = await seed.agent()
      const binding = await seed.binding(agent)
      const grants: Grant[] = []
      for (let i = 0; i < count; i++) grants.push(await seed.grant(binding, 'live', { live: { sealedSecret: `v1.sealed.${i}` } }))
      const start = revocationStart({ kind: 'agent', handle: agent.handle }, revokeAgent)
      await store.startRevocation(start, draft(clock, 'agent.revoked', agent.handle))
      return { agent, grants, revocationId: start.id }
    }

    /** One of everything mid-flight: a live grant whose revocation task worker-a holds, a pending grant. */
    async function seedInFlight() {
      const agent = await seed.agent()
      const binding = await seed.binding(agent)
      const live = await seed.grant(binding, 'live')
      const pending = await seed.grant(binding, 'pending')
      const job = revocationStart({ kind: 'grant', handle: agent.handle, grantId: live.id })
      await store.startRevocation(job, draft(clock, 'grant.revoke', live.id))
      await store.claimTasks('worker-a', clock.now(), leaseMs, 10)
      return { agent, binding, live, pending, job }
    }

    async function taskOf(revocationId: string, grantId: string): Promise<RevocationTask | undefined> {
      return (await store.getRevocation(revocationId))?.tasks.find((t) => t.grantId === grantId)
    }

    describe('agents', () => {
      it('createAgent stores every field and getAgent reads them back; an unknown handle reads as undefined', async () => {
        const agent = newAgent(clock, { tier: 3, labels: { team: 'platform', 'a.b/c': 'x y "z"' } })
        await store.createAgent(agent, draft(clock, 'agent.created', agent.handle))
        expect(await store.getAgent(agent.handle)).toEqual(agent)
        expect(await store.getAgent(uniqueHandle())).toBeUndefined()
        expect(await auditActions(store, agent.handle)).toEqual(['agent.created'])
      })

      it('createAgent refuses a taken handle with AgentExists and leaves the first agent and its chain alone', async () => {
        const agent = await seed.agent()
        await rejectsWith(store.createAgent(newAgent(clock, { handle: agent.handle, owner: 'someone-else@acme.test' }), draft(clock, 'agent.created', agent.handle)), 'ERR_AGENT_EXISTS')
        expect(await store.getAgent(agent.handle)).toEqual(agent)
        expect(await auditActions(store, agent.handle)).toEqual(['agent.created'])
      })

      it('of many concurrent creates of one handle on several store objects, exactly one wins; the rest get AgentExists', async () => {
        const stores = await replicas(4)
        const handle = uniqueHandle()
        const results = await Promise.allSettled(
          range(16).map((i) => stores[i % stores.length]!.createAgent(newAgent(clock, { handle, owner: `owner-${i}@acme.test` }), draft(clock, 'agent.created', handle, { attempt: i }))),
        )
        const winners = range(16).filter((i) => results[i]!.status === 'fulfilled')
        expect(winners).toHaveLength(1)
        for (const result of results) if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'ERR_AGENT_EXISTS' })
        expect((await store.getAgent(handle))?.owner).toBe(`owner-${winners[0]}@acme.test`)
        const chain = await store.readAudit(handle)
        expect(chain.map((e) => e.details.attempt)).toEqual([winners[0]])
      })

      it('listAgents filters by owner and status, sorts by handle and pages with after + limit', async () => {
        const owner = `${uniqueId('owner')}@acme.test`
        const handles = range(5).map(() => uniqueHandle('list'))
        for (const handle of [...handles].reverse()) await seed.agent({ handle, owner })
        const stranger = await seed.agent()
        const sorted = [...handles].sort()
        await store.changeAgentStatus(sorted[2]!, { status: 'suspended', from: ['active'] }, draft(clock, 'agent.suspended', sorted[2]!))
        const list = async (filter?: Parameters<Store['listAgents']>[0]) => (await store.listAgents(filter)).map((a) => a.handle)

        expect(await list({ owner })).toEqual(sorted)
        expect(await list({ owner, limit: 2 })).toEqual(sorted.slice(0, 2))
        expect(await list({ owner, after: sorted[1], limit: 2 })).toEqual(sorted.slice(2, 4))
        expect(await list({ owner, after: sorted[4] })).toEqual([])
        expect(await list({ owner, status: 'suspended' })).toEqual([sorted[2]])
        expect(await list({ owner, status: 'active' })).toEqual(sorted.filter((_, i) => i !== 2))
        const suspended = await list({ status: 'suspended' })
        expect(suspended).toContain(sorted[2])
        expect(suspended).not.toContain(sorted[0])
        expect(await list()).toEqual(expect.arrayContaining([...sorted, stranger.handle]))
        expect((await store.listAgents({ owner })).find((a) => a.handle === sorted[2])).toMatchObject({ status: 'suspended', owner })
      })

      it('changeAgentStatus applies only from the listed statuses, bumps the generation by one per change and stamps the event time', async () => {
        const agent = await seed.agent()
        const { handle } = agent
        clock.advance(1_000)
        const suspend = draft(clock, 'agent.suspended', handle, { reason: 'paused' })
        const suspended = await store.changeAgentStatus(handle, { status: 'suspended', reason: 'paused', from: ['active'] }, suspend)
        expect(suspended).toEqual({ ...agent, status: 'suspended', statusReason: 'paused', generation: agent.generation + 1, updatedAt: suspend.at })
        expect(await store.getAgent(handle)).toEqual(suspended)

        await rejectsWith(store.changeAgentStatus(handle, { status: 'suspended', from: ['active'] }, draft(clock, 'agent.suspended', handle)), 'ERR_AGENT_NOT_ACTIVE')
        expect(await store.getAgent(handle)).toEqual(suspended)

        clock.advance(1_000)
        const resumed = await store.changeAgentStatus(handle, { status: 'active', from: ['suspended'] }, draft(clock, 'agent.resumed', handle))
        expect(resumed).toMatchObject({ status: 'active', generation: agent.generation + 2, updatedAt: clock.now() })
        expect(resumed.statusReason).toBeUndefined()
        const gone = await store.changeAgentStatus(handle, revokeAgent, draft(clock, 'agent.revoked', handle))
        expect(gone).toMatchObject({ status: 'revoked', statusReason: 'key leaked', generation: agent.generation + 3 })
        await rejectsWith(store.changeAgentStatus(handle, { status: 'active', from: ['suspended'] }, draft(clock, 'agent.resumed', handle)), 'ERR_AGENT_NOT_ACTIVE')
        await rejectsWith(store.changeAgentStatus(uniqueHandle(), bump, draft(clock, 'agent.bumped', 'nobody')), 'ERR_AGENT_NOT_FOUND')

        expect(await auditActions(store, handle)).toEqual(['agent.created', 'agent.suspended', 'agent.resumed', 'agent.revoked'])
      })

      it('of concurrent suspends on several store objects exactly one passes the from-check', async () => {
        const stores = await replicas(4)
        const agent = await seed.agent()
        const results = await Promise.allSettled(
          range(12).map((i) => stores[i % stores.length]!.changeAgentStatus(agent.handle, { status: 'suspended', from: ['active'] }, draft(clock, 'agent.suspended', agent.handle))),
        )
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
        for (const result of results) if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'ERR_AGENT_NOT_ACTIVE' })
        expect(await store.getAgent(agent.handle)).toMatchObject({ status: 'suspended', generation: agent.generation + 1 })
        expect(await auditActions(store, agent.handle)).toEqual(['agent.created', 'agent.suspended'])
      })

      it('concurrent generation bumps on several store objects lose no update', async () => {
        const stores = await replicas(4)
        const agent = await seed.agent()
        const changed = await Promise.all(range(20).map((i) => stores[i % stores.length]!.changeAgentStatus(agent.handle, bump, draft(clock, 'agent.bumped', agent.handle))))
        expect(changed.map((a) => a.generation).sort((a, b) => a - b)).toEqual(range(20).map((i) => agent.generation + 1 + i))
        expect((await store.getAgent(agent.handle))?.generation).toBe(agent.generation + 20)
        const chain = await store.readAudit(agent.handle)
        expect(chain).toHaveLength(21)
        expect(verifyAuditChain(chain)).toMatchObject({ ok: true })
      })
    })

    describe('keys and bindings', () => {
      it('addKey is idempotent on (handle, kid), writing nothing the second time; listKeys returns the agent\'s keys only', async () => {
        const agent = await seed.agent()
        const other = await seed.agent()
        const first = newKey(clock, agent.handle)
        const second = newKey(clock, agent.handle)
        await store.addKey(first, draft(clock, 'key.added', agent.handle))
        await store.addKey(first, draft(clock, 'key.added', agent.handle))
        await store.addKey(second, draft(clock, 'key.added', agent.handle))
        await store.addKey(newKey(clock, other.handle), draft(clock, 'key.added', other.handle))
        const byKid = (keys: { kid: string }[]) => [...keys].sort((a, b) => (a.kid < b.kid ? -1 : 1))
        expect(byKid(await store.listKeys(agent.handle))).toEqual(byKid([first, second]))
        expect(await store.listKeys(uniqueHandle())).toEqual([])
        await rejectsWith(store.addKey(newKey(clock, uniqueHandle()), draft(clock, 'key.added', 'nobody')), 'ERR_AGENT_NOT_FOUND')
        expect(await auditActions(store, agent.handle)).toEqual(['agent.created', 'key.added', 'key.added'])
      })

      it('putBinding creates or replaces the agent\'s binding to one system, keeping JSON targets intact', async () => {
        const agent = await seed.agent()
        const github = newBinding(clock, agent.handle, 'github-acme')
        const aws = newBinding(clock, agent.handle, 'aws-prod', { target: { roleArn: 'arn:aws:iam::123456789012:role/deploy', maxSeconds: 900 } })
        await store.putBinding(github, draft(clock, 'binding.put', agent.handle))
        await store.putBinding(aws, draft(clock, 'binding.put', agent.handle))
        expect(await store.getBinding(agent.handle, 'github-acme')).toEqual(github)

        const replacement = newBinding(clock, agent.handle, 'github-acme', { ceiling: ['contents:read'], minTier: 2, target: { installationId: 7 } })
        await store.putBinding(replacement, draft(clock, 'binding.put', agent.handle))
        expect(await store.getBinding(agent.handle, 'github-acme')).toEqual(replacement)
        expect([...(await store.listBindings(agent.handle))].sort((a, b) => (a.system < b.system ? -1 : 1))).toEqual([aws, replacement])
        expect(await store.getBinding(agent.handle, 'corp-idp')).toBeUndefined()
        expect(await store.listBindings(uniqueHandle())).toEqual([])
        await rejectsWith(store.putBinding(newBinding(clock, uniqueHandle()), draft(clock, 'binding.put', 'nobody')), 'ERR_AGENT_NOT_FOUND')
        expect(await auditActions(store, agent.handle)).toEqual(['agent.created', 'binding.put', 'binding.put', 'binding.put'])
      })
    })

    describe('grants', () => {
      it('beginGrant records a pending grant under the current generation, readable by its agent only', async () => {
        const agent = await seed.agent()
        const binding = await seed.binding(agent)
        const grant = newGrant(clock, binding, { scopes: ['contents:read', 'issues:write'] })
        await store.beginGrant(grant, agent.generation, draft(clock, 'grant.requested', grant.id))
        expect(await store.getGrant(agent.handle, grant.id)).toEqual({ ...grant, status: 'pending' })
        expect(await store.getGrant((await seed.agent()).handle, grant.id)).toBeUndefined()
        expect(await store.getGrant(agent.handle, uniqueId('grant'))).toBeUndefined()
        expect(await auditActions(store, agent.handle)).toEqual(['agent.created', 'binding.put', 'grant.requested'])
      })

      it('beginGrant refuses an agent whose generation moved, or that is suspended or revoked, recording nothing', async () => {
        const agent = await seed.agent()
        const binding = await seed.binding(agent)
        const { handle } = agent
        const attempt = (generation: number) => {
          const grant = newGrant(clock, binding)
          return store.beginGrant(grant, generation, draft(clock, 'grant.requested', grant.id))
        }
        // (1) A token minted before the last change carries an old generation.
        const bumped = await store.changeAgentStatus(handle, bump, draft(clock, 'agent.bumped', handle))
        await rejectsWith(attempt(agent.generation), 'ERR_AGENT_NOT_ACTIVE')
        await rejectsWith(attempt(bumped.generation + 1), 'ERR_AGENT_NOT_ACTIVE')
        // (2) Suspended, at its current generation.
        const suspended = await store.changeAgentStatus(handle, { status: 'suspended', from: ['active'] }, draft(clock, 'agent.suspended', handle))
        await rejectsWith(attempt(suspended.generation), 'ERR_AGENT_NOT_ACTIVE')
        // (3) Revoked.
        const gone = await store.changeAgentStatus(handle, revokeAgent, draft(clock, 'agent.revoked', handle))
        await rejectsWith(attempt(gone.generation), 'ERR_AGENT_NOT_ACTIVE')
        // (4) No such agent.
        const stray = newGrant(clock, newBinding(clock, uniqueHandle()))
        await rejectsWith(store.beginGrant(stray, 1, draft(clock, 'grant.requested', stray.id)), 'ERR_AGENT_NOT_FOUND')

        expect(await store.listGrants(handle)).toEqual([])
        expect(await auditActions(store, handle)).toEqual(['agent.created', 'binding.put', 'agent.bumped', 'agent.suspended', 'agent.revoked'])
      })

      it('settleGrant moves pending to live (ref, index, expiry, sealed secret) or to failed (error), once', async () => {
        const agent = await seed.agent()
        const binding = await seed.binding(agent)
        const toLive = await seed.grant(binding, 'pending')
        const toFail = await seed.grant(binding, 'pending')
        clock.advance(2_000)

        const settlement = liveSettlement(clock, toLive.id, { sealedSecret: 'v1.sealed.token', ref: { tokenSha256: 'abc', nested: { list: [1, 2] } } })
        const live = await store.settleGrant(agent.handle, toLive.id, settlement, draft(clock, 'grant.issued', toLive.id))
        expect(live).toEqual({ ...toLive, status: 'live', expiresAt: settlement.expiresAt, ref: settlement.ref, index: settlement.index, sealedSecret: 'v1.sealed.token' })
        expect(await store.getGrant(agent.handle, toLive.id)).toEqual(live)

        const failedAt = draft(clock, 'grant.failed', toFail.id)
        const failed = await store.settleGrant(agent.handle, toFail.id, { status: 'failed', error: 'upstream refused' }, failedAt)
        expect(failed).toEqual({ ...toFail, status: 'failed', error: 'upstream refused', endedAt: failedAt.at })
        expect(await store.getGrant(agent.handle, toFail.id)).toEqual(failed)

        // A reconciler and a slow exchange may both settle one grant: the second must not win.
        await rejectsFromCatalogue(store.settleGrant(agent.handle, toFail.id, liveSettlement(clock, toFail.id), draft(clock, 'grant.issued', toFail.id)))
        await rejectsFromCatalogue(store.settleGrant(agent.handle, toLive.id, { status: 'failed', error: 'late' }, draft(clock, 'grant.failed', toLive.id)))
        expect(await store.getGrant(agent.handle, toFail.id)).toEqual(failed)
        expect(await store.getGrant(agent.handle, toLive.id)).toEqual(live)
        await rejectsWith(store.settleGrant(agent.handle, uniqueId('grant'), { status: 'failed', error: 'x' }, draft(clock, 'grant.failed', 'nothing')), 'ERR_GRANT_NOT_FOUND')
        expect(await auditActions(store, agent.handle)).toEqual(['agent.created', 'binding.put', 'grant.requested', 'grant.requested', 'grant.issued', 'grant.failed'])
      })

      it('listGrants filters by status; listPendingGrants finds pending grants created before a time', async () => {
        const agent = await seed.agent()
        const binding = await seed.binding(agent)
        const other = await seed.binding(await seed.agent())
        const live = await seed.grant(binding, 'live')
        const failed = await seed.grant(binding, 'failed')
        const early = await seed.grant(binding, 'pending')
        clock.advance(1_000)
        const late = await seed.grant(binding, 'pending')
        const stranger = await seed.grant(other, 'pending')

        expect(ids(await store.listGrants(agent.handle))).toEqual(ids([live, failed, early, late]))
        expect(ids(await store.listGrants(agent.handle, 'live'))).toEqual([live.id])
        expect(ids(await store.listGrants(agent.handle, 'failed'))).toEqual([failed.id])
        expect(ids(await store.listGrants(agent.handle, 'pending'))).toEqual(ids([early, late]))
        expect(await store.listGrants(agent.handle, 'revoked')).toEqual([])
        expect(await store.listGrants(uniqueHandle())).toEqual([])

        const pendingBefore = async (before: Date) => ids(await store.listPendingGrants(before)).filter((id) => [early.id, late.id, stranger.id, live.id].includes(id))
        expect(await pendingBefore(late.createdAt)).toEqual([early.id])
        expect(await pendingBefore(new Date(late.createdAt.getTime() + 1))).toEqual(ids([early, late, stranger]))
        expect((await store.listPendingGrants(late.createdAt)).find((g) => g.id === early.id)).toEqual(early)
      })

      it('findGrants answers whois by any index key, across agents', async () => {
        const shared = uniqueId('session')
        const settled: Grant[] = []
        for (const agent of [await seed.agent(), await seed.agent()]) {
          const grant = newGrant(clock, await seed.binding(agent, 'aws-prod'))
          await store.beginGrant(grant, agent.generation, draft(clock, 'grant.requested', grant.id))
          const index = { aws_access_key_id: uniqueId('ASIA'), aws_session_name: shared }
          settled.push(await store.settleGrant(agent.handle, grant.id, liveSettlement(clock, grant.id, { index }), draft(clock, 'grant.issued', grant.id)))
        }
        const [first, second] = settled as [Grant, Grant]
        expect(await store.findGrants('aws_access_key_id', first.index.aws_access_key_id!)).toEqual([first])
        expect(ids(await store.findGrants('aws_session_name', shared))).toEqual(ids([first, second]))
        expect(await store.findGrants('aws_access_key_id', shared)).toEqual([])
        expect(await store.findGrants('github_hashed_token', first.index.aws_access_key_id!)).toEqual([])
      })
    })

    describe('revocations', () => {
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

        const byBinding = await store.startRevocation(revocationStart({ kind: 'binding', handle: agent.handle, bindingId: github.id }), draft(clock, 'binding.revoked', agent.handle))
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
        // Exchanges racing one revoke, staggered so that some begin before it commits and settle after.
        const exchanges = range(24).map(async (i) => {
          const on = stores[i % stores.length]!
          const grant = newGrant(clock, binding)
          await yieldTurns((i * 7) % 13)
          try {
            await on.beginGrant(grant, agent.generation, draft(clock, 'grant.requested', grant.id))
          } catch (error) {
            expect(error).toMatchObject({ code: 'ERR_AGENT_NOT_ACTIVE' })
            return { id: grant.id, recorded: false }
          }
          await yieldTurns(i % 4)
          await on.settleGrant(agent.handle, grant.id, liveSettlement(clock, grant.id), draft(clock, 'grant.issued', grant.id))
          return { id: grant.id, recorded: true }
        })
        const start = revocationStart({ kind: 'agent', handle: agent.handle }, revokeAgent)
        const revoking = yieldTurns(6).then(() => stores[1]!.startRevocation(start, draft(clock, 'agent.revoked', agent.handle)))
        const [outcomes] = await Promise.all([Promise.all(exchanges), revoking])

        const recorded = outcomes.filter((o) => o.recorded).map((o) => o.id).sort()
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

    describe('audit', () => {
      it('appendAudit seals each event onto the previous with core\'s chain; readAudit pages; the chain verifies', async () => {
        const agent = await seed.agent()
        const [created] = await store.readAudit(agent.handle)
        expect(created).toMatchObject({ handle: agent.handle, seq: 1, prevHash: genesisHash })
        let previous: AuditEvent = created!
        const appended: AuditEvent[] = [previous]
        for (let i = 2; i <= 6; i++) {
          clock.advance(10)
          const event: AuditDraft = { ...draft(clock, `test.event-${i}`, `target-${i}`, { i, nested: { list: [i, 'x'], flag: true, none: null } }), outcome: i % 2 ? 'failure' : 'success' }
          const sealed = await store.appendAudit(agent.handle, event)
          expect(sealed).toEqual(sealAuditEvent(agent.handle, previous, event))
          appended.push(sealed)
          previous = sealed
        }
        const chain = await store.readAudit(agent.handle)
        expect(chain).toEqual(appended)
        expect(verifyAuditChain(chain)).toEqual({ ok: true, length: 6, head: previous.hash })
        expect((await store.readAudit(agent.handle, { afterSeq: 2, limit: 2 })).map((e) => e.seq)).toEqual([3, 4])
        expect(await store.readAudit(agent.handle, { afterSeq: 6 })).toEqual([])
        expect(await store.readAudit(uniqueHandle())).toEqual([])
        await rejectsWith(store.appendAudit(uniqueHandle(), draft(clock, 'test.event', 'nobody')), 'ERR_AGENT_NOT_FOUND')
        const other = await seed.agent()
        expect(await store.readAudit(other.handle)).toMatchObject([{ seq: 1, prevHash: genesisHash }])
      })

      it('concurrent appends on several store objects form one gapless chain', async () => {
        const stores = await replicas(4)
        const agent = await seed.agent()
        await Promise.all(range(24).map((i) => stores[i % stores.length]!.appendAudit(agent.handle, draft(clock, 'test.event', `t-${i}`))))
        const chain = await store.readAudit(agent.handle)
        expect(chain.map((e) => e.seq)).toEqual(range(25).map((i) => i + 1))
        expect(verifyAuditChain(chain)).toMatchObject({ ok: true, length: 25 })
      })

      it('a write whose audit event cannot be sealed writes nothing at all', async () => {
        // BigInt makes canonical JSON throw inside the store's write, as a failing audit write would.
        const poison = (d: AuditDraft): AuditDraft => ({ ...d, details: { size: 1n } })
        const { agent, binding, live, pending, job } = await seedInFlight()
        const chain = await store.readAudit(agent.handle)

        const ghost = newAgent(clock)
        await rejectsFromCatalogue(store.createAgent(ghost, poison(draft(clock, 'agent.created', ghost.handle))))
        expect(await store.getAgent(ghost.handle)).toBeUndefined()
        expect(await store.readAudit(ghost.handle)).toEqual([])

        await rejectsFromCatalogue(store.changeAgentStatus(agent.handle, { status: 'suspended', from: ['active'] }, poison(draft(clock, 'agent.suspended', agent.handle))))
        await rejectsFromCatalogue(store.addKey(newKey(clock, agent.handle), poison(draft(clock, 'key.added', agent.handle))))
        await rejectsFromCatalogue(store.putBinding({ ...binding, ceiling: ['admin'] }, poison(draft(clock, 'binding.put', agent.handle))))
        const unbegun = newGrant(clock, binding)
        await rejectsFromCatalogue(store.beginGrant(unbegun, agent.generation, poison(draft(clock, 'grant.requested', unbegun.id))))
        await rejectsFromCatalogue(store.settleGrant(agent.handle, pending.id, liveSettlement(clock, pending.id), poison(draft(clock, 'grant.issued', pending.id))))
        const unstarted = revocationStart({ kind: 'agent', handle: agent.handle }, revokeAgent)
        await rejectsFromCatalogue(store.startRevocation(unstarted, poison(draft(clock, 'agent.revoked', agent.handle))))
        await rejectsFromCatalogue(store.completeTask('worker-a', job.id, live.id, revoked, clock.now(), poison(draft(clock, 'grant.revoked', live.id))))
        await rejectsFromCatalogue(store.appendAudit(agent.handle, poison(draft(clock, 'test.event', agent.handle))))

        expect(await store.getAgent(agent.handle)).toEqual(agent)
        expect(await store.listKeys(agent.handle)).toEqual([])
        expect(await store.getBinding(agent.handle, binding.system)).toEqual(binding)
        expect(await store.getGrant(agent.handle, unbegun.id)).toBeUndefined()
        expect(await store.getGrant(agent.handle, pending.id)).toEqual(pending)
        expect(await store.getGrant(agent.handle, live.id)).toEqual(live)
        expect(await store.getRevocation(unstarted.id)).toBeUndefined()
        expect(await taskOf(job.id, live.id)).toMatchObject({ status: 'pending', leaseOwner: 'worker-a' })
        expect(await store.readAudit(agent.handle)).toEqual(chain)
      })
    })

    describe('replay cache and revoked tokens', () => {
      it('useOnce accepts a key the first time and refuses it until it expires', async () => {
        const key = uniqueId('assertion')
        const t0 = clock.now()
        const expiresAt = new Date(t0.getTime() + 60_000)
        expect(await store.useOnce(key, expiresAt, t0)).toBe(true)
        expect(await store.useOnce(key, expiresAt, t0)).toBe(false)
        expect(await store.useOnce(key, new Date(expiresAt.getTime() + 60_000), new Date(expiresAt.getTime() - 1))).toBe(false)
        expect(await store.useOnce(uniqueId('assertion'), expiresAt, t0)).toBe(true)
        const later = new Date(expiresAt.getTime() + 120_000)
        expect(await store.useOnce(key, later, expiresAt)).toBe(true)
        expect(await store.useOnce(key, later, expiresAt)).toBe(false)
      })

      it('of concurrent useOnce calls with one key on several store objects, exactly one is first', async () => {
        const stores = await replicas(4)
        const key = uniqueId('assertion')
        const expiresAt = new Date(clock.now().getTime() + 60_000)
        const firsts = await Promise.all(range(16).map((i) => stores[i % stores.length]!.useOnce(key, expiresAt, clock.now())))
        expect(firsts.filter(Boolean)).toHaveLength(1)
      })

      it('revokeToken is remembered until the token would have expired', async () => {
        const jti = uniqueId('jti')
        const t0 = clock.now()
        const expiresAt = new Date(t0.getTime() + 300_000)
        expect(await store.isTokenRevoked(jti, t0)).toBe(false)
        await store.revokeToken(jti, expiresAt)
        await store.revokeToken(jti, expiresAt)
        expect(await store.isTokenRevoked(jti, t0)).toBe(true)
        expect(await store.isTokenRevoked(jti, new Date(expiresAt.getTime() - 1))).toBe(true)
        expect(await store.isTokenRevoked(jti, expiresAt)).toBe(false)
        expect(await store.isTokenRevoked(uniqueId('jti'), t0)).toBe(false)
      })
    })

    describe('signing keys', () => {
      it('putSigningKey is idempotent on kid; retireSigningKey marks a key retired and keeps it listed', async () => {
        const first = newSigningKey(clock)
        clock.advance(1_000)
        const second = newSigningKey(clock)
        await store.putSigningKey(first)
        await store.putSigningKey(second)
        await store.putSigningKey(first)
        const listed = async () => [...(await store.listSigningKeys())].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
        expect(await listed()).toEqual([first, second])
        const at = clock.advance(5_000)
        await store.retireSigningKey(first.kid, at)
        expect(await listed()).toEqual([{ ...first, retiredAt: at }, second])
      })
    })

    trustRuleCases({ store: () => store, clock: () => now, agent: () => seed.agent(), tick: (ms) => clock.advance(ms) })

    describe('webhooks', () => {
      /** A webhook put in the store with `count` deliveries enqueued to it, due now. */
      async function hookWithDeliveries(count: number): Promise<{ hook: Webhook; deliveries: WebhookDelivery[] }> {
        const hook = newWebhook(clock)
        await store.putWebhook(hook)
        const deliveries = range(count).map(() => newDelivery(clock, hook))
        await store.enqueueDeliveries(deliveries)
        return { hook, deliveries }
      }

      async function deliveryOf(hook: Webhook, id: string): Promise<WebhookDelivery | undefined> {
        return (await store.listDeliveries(hook.id)).find((d) => d.id === id)
      }

      it('putWebhook creates or replaces by id; listWebhooks reads every field back; deleteWebhook says whether there was one', async () => {
        const first = newWebhook(clock)
        clock.advance(1_000)
        const second = newWebhook(clock, { events: ['revocation.finished'] })
        await store.putWebhook(first)
        await store.putWebhook(second)
        const mine = async () => (await store.listWebhooks()).filter((w) => w.id === first.id || w.id === second.id).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
        expect(await mine()).toEqual([first, second])

        const moved: Webhook = { ...first, url: `${first.url}/v2`, events: ['revocation.started'] }
        await store.putWebhook(moved)
        expect(await mine()).toEqual([moved, second])

        expect(await store.deleteWebhook(first.id)).toBe(true)
        expect(await mine()).toEqual([second])
        expect(await store.deleteWebhook(first.id)).toBe(false)
        expect(await store.deleteWebhook(uniqueId('webhook'))).toBe(false)
      })

      it('enqueueDeliveries stores every delivery pending and due, and a batch appears all at once to claims on several store objects', async () => {
        const stores = await replicas(4)
        const hook = newWebhook(clock)
        await store.putWebhook(hook)
        const batch = range(12).map(() => newDelivery(clock, hook))
        // Claims race the enqueue: each sees the whole batch or none of it, never a part.
        const claims = range(8).map(async (i) => {
          await yieldTurns(i * 3)
          return stores[i % stores.length]!.claimDeliveries(`worker-${i}`, clock.now(), leaseMs, 100)
        })
        const [, ...claimed] = await Promise.all([yieldTurns(5).then(() => stores[1]!.enqueueDeliveries(batch)), ...claims])
        for (const got of claimed) expect([0, batch.length]).toContain(got.length)

        const listed = await store.listDeliveries(hook.id)
        expect(ids(listed)).toEqual(ids(batch))
        for (const delivery of listed) {
          const { leaseOwner, leaseExpiresAt, ...rest } = delivery
          expect(rest).toEqual(batch.find((d) => d.id === delivery.id))
          expect(leaseOwner === undefined).toBe(leaseExpiresAt === undefined)
        }
        expect(await store.listDeliveries(uniqueId('webhook'))).toEqual([])
        await expect(store.enqueueDeliveries([])).resolves.toBeUndefined()
      })

      const announced = async (s: Store) => (await s.listUnannounced(100)).map((event) => `${event.type} ${event.revocation.id} ${event.revocation.status}`)

      it('a revocation is in the outbox as started from its first write, and as finished from the write that ends its job', async () => {
        const { grants, revocationId } = await revokeWithGrants(2)
        expect(await announced(store)).toEqual([`revocation.started ${revocationId} running`])
        const [event] = await store.listUnannounced(100)
        expect(event!.revocation).toEqual(await store.getRevocation(revocationId))

        await store.claimTasks('worker-a', clock.now(), leaseMs, 10)
        await store.completeTask('worker-a', revocationId, grants[0]!.id, revoked, clock.now(), draft(clock, 'grant.revoked', grants[0]!.id))
        expect(await announced(store)).toEqual([`revocation.started ${revocationId} running`])
        await store.completeTask('worker-a', revocationId, grants[1]!.id, revoked, clock.now(), draft(clock, 'grant.revoked', grants[1]!.id))
        expect(await announced(store)).toEqual([`revocation.started ${revocationId} done`, `revocation.finished ${revocationId} done`])

        // Nothing to cut: done in its first write, so both at once. Of one revocation, started
        // always comes before finished; across revocations the order is the store's.
        clock.advance(1_000)
        const { revocationId: empty } = await revokeWithGrants(0)
        const all = await announced(store)
        expect(all).toHaveLength(4)
        expect(all.filter((line) => line.includes(empty))).toEqual([`revocation.started ${empty} done`, `revocation.finished ${empty} done`])
        expect(all.filter((line) => line.includes(revocationId))).toEqual([`revocation.started ${revocationId} done`, `revocation.finished ${revocationId} done`])
        expect(await store.listUnannounced(1)).toHaveLength(1)
      })

      it('announce takes the event out and enqueues its deliveries in one write, once: a racing second announce writes nothing', async () => {
        const { revocationId } = await revokeWithGrants(0)
        const hook = newWebhook(clock)
        await store.putWebhook(hook)
        const stores = await replicas(4)
        const batches = stores.map(() => range(2).map(() => newDelivery(clock, hook)))
        const won = await Promise.all(stores.map((s, i) => s.announce(revocationId, 'revocation.started', batches[i]!)))
        expect(won.filter(Boolean)).toHaveLength(1)
        expect(ids(await store.listDeliveries(hook.id))).toEqual(ids(batches[won.indexOf(true)]!))
        expect(await announced(store)).toEqual([`revocation.finished ${revocationId} done`])

        // An event with no subscriber is announced with no deliveries; absent events answer false.
        expect(await store.announce(revocationId, 'revocation.finished', [])).toBe(true)
        expect(await announced(store)).toEqual([])
        expect(await store.announce(revocationId, 'revocation.finished', [newDelivery(clock, hook)])).toBe(false)
        expect(await store.announce(uniqueId('revocation'), 'revocation.started', [])).toBe(false)
        expect(await store.listDeliveries(hook.id)).toHaveLength(2)
      })

      it('claimDeliveries leases each due delivery to one owner at a time, again once the lease expired, and nothing not yet due', async () => {
        const { hook, deliveries } = await hookWithDeliveries(3)
        // Due after the first leases expire, before the second ones do.
        const later = newDelivery(clock, hook, { nextAttemptAt: new Date(clock.now().getTime() + leaseMs + leaseMs / 2) })
        await store.enqueueDeliveries([later])
        const t0 = clock.now()
        const first = await store.claimDeliveries('worker-a', t0, leaseMs, 2)
        expect(first).toHaveLength(2)
        for (const d of first) expect(d).toMatchObject({ webhookId: hook.id, status: 'pending', attempts: 0, leaseOwner: 'worker-a', leaseExpiresAt: new Date(t0.getTime() + leaseMs) })
        const second = await store.claimDeliveries('worker-b', t0, leaseMs, 10)
        expect(ids([...first, ...second])).toEqual(ids(deliveries))
        expect(await store.claimDeliveries('worker-c', new Date(t0.getTime() + leaseMs - 1), leaseMs, 10)).toEqual([])
        expect(await deliveryOf(hook, second[0]!.id)).toMatchObject({ leaseOwner: 'worker-b' })

        const expired = new Date(t0.getTime() + leaseMs)
        const again = await store.claimDeliveries('worker-c', expired, leaseMs, 10)
        expect(ids(again)).toEqual(ids(deliveries))
        for (const d of again) expect(d).toMatchObject({ leaseOwner: 'worker-c', leaseExpiresAt: new Date(expired.getTime() + leaseMs) })
        expect(await store.claimDeliveries('worker-d', later.nextAttemptAt, leaseMs, 10)).toMatchObject([{ id: later.id, leaseOwner: 'worker-d' }])
      })

      it('claims on several store objects never lease one delivery twice', async () => {
        const stores = await replicas(4)
        const { hook, deliveries } = await hookWithDeliveries(8)
        const claimed = await Promise.all(stores.map((s, i) => s.claimDeliveries(`worker-${i}`, clock.now(), leaseMs, 3)))
        // "Up to limit": a claim that lost a race may come back short, never with another's lease.
        const all = claimed.flat()
        expect(new Set(ids(all)).size).toBe(all.length)
        expect(all.length).toBeGreaterThan(0)
        const listed = new Map((await store.listDeliveries(hook.id)).map((d) => [d.id, d]))
        claimed.forEach((got, i) => {
          for (const d of got) expect(listed.get(d.id)?.leaseOwner, d.id).toBe(`worker-${i}`)
        })
        expect(ids(all).every((id) => listed.has(id))).toBe(true)
        expect(listed.size).toBe(deliveries.length)
      })

      it('finishDelivery applies only for the lease holder; delivered and failed ones are never claimed again', async () => {
        const { hook, deliveries } = await hookWithDeliveries(3)
        const [toDeliver, toFail, unclaimed] = deliveries as [WebhookDelivery, WebhookDelivery, WebhookDelivery]
        const t0 = clock.now()
        await store.claimDeliveries('worker-a', t0, leaseMs, 2)
        const delivered = { status: 'delivered', at: clock.advance(500) } as const

        // (1) Not the holder; (2) not leased at all; (3) no such delivery.
        expect(await store.finishDelivery('worker-b', toDeliver.id, delivered)).toBe(false)
        expect(await store.finishDelivery('worker-a', unclaimed.id, delivered)).toBe(false)
        expect(await store.finishDelivery('worker-a', uniqueId('delivery'), delivered)).toBe(false)
        expect(await deliveryOf(hook, toDeliver.id)).toMatchObject({ status: 'pending', leaseOwner: 'worker-a' })

        // (4) The holder: delivered keeps its attempt count (only a retry counts one) and drops the lease.
        expect(await store.finishDelivery('worker-a', toDeliver.id, delivered)).toBe(true)
        const done = await deliveryOf(hook, toDeliver.id)
        expect(done).toMatchObject({ status: 'delivered', deliveredAt: delivered.at, attempts: 0 })
        expect(done?.leaseOwner).toBeUndefined()
        expect(await store.finishDelivery('worker-a', toFail.id, { status: 'failed', error: 'receiver answered 410' })).toBe(true)
        const failed = await deliveryOf(hook, toFail.id)
        expect(failed).toMatchObject({ status: 'failed', lastError: 'receiver answered 410', attempts: 0 })
        expect(failed?.deliveredAt).toBeUndefined()
        expect(failed?.leaseOwner).toBeUndefined()

        // (5) Finished is final: not finished twice, not claimed again, even long after.
        expect(await store.finishDelivery('worker-a', toDeliver.id, { status: 'failed', error: 'late' })).toBe(false)
        expect(await deliveryOf(hook, toDeliver.id)).toEqual(done)
        const much = new Date(t0.getTime() + 100 * leaseMs)
        expect(ids(await store.claimDeliveries('worker-c', much, leaseMs, 10))).toEqual([unclaimed.id])
        expect(await store.claimDeliveries('worker-d', new Date(much.getTime() + leaseMs), leaseMs, 10)).toMatchObject([{ id: unclaimed.id }])
      })

      it('a retry counts an attempt, records the error, releases the lease and is not claimable before its next attempt', async () => {
        const { hook, deliveries } = await hookWithDeliveries(1)
        const id = deliveries[0]!.id
        const t0 = clock.now()
        await store.claimDeliveries('worker-a', t0, leaseMs, 10)
        const next = new Date(t0.getTime() + 60_000)
        expect(await store.finishDelivery('worker-b', id, { status: 'retry', nextAttemptAt: t0, error: 'not mine' })).toBe(false)
        expect(await store.finishDelivery('worker-a', id, { status: 'retry', nextAttemptAt: next, error: 'receiver answered 500' })).toBe(true)
        const retried = await deliveryOf(hook, id)
        expect(retried).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: next, lastError: 'receiver answered 500' })
        expect(retried?.leaseOwner).toBeUndefined()
        // Released: the old holder cannot finish it any more.
        expect(await store.finishDelivery('worker-a', id, { status: 'delivered', at: t0 })).toBe(false)

        expect(await store.claimDeliveries('worker-b', new Date(next.getTime() - 1), leaseMs, 10)).toEqual([])
        expect(await store.claimDeliveries('worker-b', next, leaseMs, 10)).toMatchObject([{ id, attempts: 1, lastError: 'receiver answered 500', leaseOwner: 'worker-b' }])
        const again = new Date(next.getTime() + 1_000)
        expect(await store.finishDelivery('worker-b', id, { status: 'retry', nextAttemptAt: again, error: 'timed out' })).toBe(true)
        expect(await deliveryOf(hook, id)).toMatchObject({ attempts: 2, nextAttemptAt: again, lastError: 'timed out' })
        expect(await store.claimDeliveries('worker-c', again, leaseMs, 10)).toMatchObject([{ id, attempts: 2 }])
        expect(await store.finishDelivery('worker-c', id, { status: 'delivered', at: again })).toBe(true)
        expect(await deliveryOf(hook, id)).toMatchObject({ status: 'delivered', attempts: 2, deliveredAt: again })
      })

      it('deleteWebhook drops its pending deliveries, leased or not, and leaves finished ones and other webhooks alone', async () => {
        const { hook, deliveries } = await hookWithDeliveries(3)
        const other = await hookWithDeliveries(1)
        const [sent, leased] = deliveries as [WebhookDelivery, WebhookDelivery, WebhookDelivery]
        await store.claimDeliveries('worker-a', clock.now(), leaseMs, 10)
        await store.finishDelivery('worker-a', sent.id, { status: 'delivered', at: clock.now() })
        // Releases the other delivery of `other`, so that only it remains to claim afterwards.
        await store.finishDelivery('worker-a', other.deliveries[0]!.id, { status: 'retry', nextAttemptAt: clock.now(), error: 'later' })

        expect(await store.deleteWebhook(hook.id)).toBe(true)
        const left = await store.listDeliveries(hook.id)
        expect(left.filter((d) => d.status === 'pending')).toEqual([])
        expect(left.map((d) => d.id).filter((id) => id !== sent.id)).toEqual([])
        expect(await store.finishDelivery('worker-a', leased.id, { status: 'delivered', at: clock.now() })).toBe(false)
        const later = new Date(clock.now().getTime() + 10 * leaseMs)
        expect(ids(await store.claimDeliveries('worker-b', later, leaseMs, 10))).toEqual([other.deliveries[0]!.id])
        expect(ids(await store.listDeliveries(other.hook.id))).toEqual([other.deliveries[0]!.id])
      })
    })

    describe('failing closed', () => {
      it('ping answers while the backend is up', async () => {
        await expect(store.ping()).resolves.toBeUndefined()
      })

      it('after the backend goes away every method rejects with StoreUnavailable and nothing is half-written', async () => {
        const { agent, binding, live, pending, job } = await seedInFlight()
        const observer = options.replica ? (await replicas(2))[1] : undefined
        const snapshot = async (s: Store) => ({
          agent: await s.getAgent(agent.handle),
          grants: await s.listGrants(agent.handle),
          revocation: await s.getRevocation(job.id),
          audit: await s.readAudit(agent.handle),
          keys: await s.listKeys(agent.handle),
          bindings: await s.listBindings(agent.handle),
        })
        const before = await snapshot(store)

        await (options.close ?? ((s: Store) => s.close()))(store)

        const ghost = newAgent(clock)
        const fresh = newGrant(clock, binding)
        const t = clock.now()
        const d = (action: string) => draft(clock, action, agent.handle)
        // Keyed by method: a Store method added to the port and missing here does not compile.
        const calls: { [M in Exclude<keyof Store, 'close'>]: () => Promise<unknown> } = {
          createAgent: () => store.createAgent(ghost, d('agent.created')),
          getAgent: () => store.getAgent(agent.handle),
          listAgents: () => store.listAgents(),
          changeAgentStatus: () => store.changeAgentStatus(agent.handle, revokeAgent, d('agent.revoked')),
          addKey: () => store.addKey(newKey(clock, agent.handle), d('key.added')),
          listKeys: () => store.listKeys(agent.handle),
          putBinding: () => store.putBinding(newBinding(clock, agent.handle, 'aws-prod'), d('binding.put')),
          getBinding: () => store.getBinding(agent.handle, binding.system),
          listBindings: () => store.listBindings(agent.handle),
          beginGrant: () => store.beginGrant(fresh, agent.generation, d('grant.requested')),
          settleGrant: () => store.settleGrant(agent.handle, pending.id, liveSettlement(clock, pending.id), d('grant.issued')),
          getGrant: () => store.getGrant(agent.handle, live.id),
          listGrants: () => store.listGrants(agent.handle),
          findGrants: () => store.findGrants('grant_id', live.id),
          listPendingGrants: () => store.listPendingGrants(t),
          startRevocation: () => store.startRevocation(revocationStart({ kind: 'agent', handle: agent.handle }, revokeAgent), d('agent.revoked')),
          getRevocation: () => store.getRevocation(job.id),
          listOpenRevocations: () => store.listOpenRevocations(),
          claimTasks: () => store.claimTasks('worker-b', new Date(t.getTime() + leaseMs), leaseMs, 10),
          completeTask: () => store.completeTask('worker-a', job.id, live.id, revoked, t, d('grant.revoked')),
          retryTask: () => store.retryTask('worker-a', job.id, live.id, t, 'later'),
          appendAudit: () => store.appendAudit(agent.handle, d('test.event')),
          readAudit: () => store.readAudit(agent.handle),
          useOnce: () => store.useOnce(uniqueId('assertion'), new Date(t.getTime() + 60_000), t),
          revokeToken: () => store.revokeToken(uniqueId('jti'), new Date(t.getTime() + 60_000)),
          isTokenRevoked: () => store.isTokenRevoked(uniqueId('jti'), t),
          putSigningKey: () => store.putSigningKey(newSigningKey(clock)),
          retireSigningKey: () => store.retireSigningKey('any', t),
          listSigningKeys: () => store.listSigningKeys(),
          putWebhook: () => store.putWebhook(newWebhook(clock)),
          listWebhooks: () => store.listWebhooks(),
          deleteWebhook: () => store.deleteWebhook(uniqueId('webhook')),
          enqueueDeliveries: () => store.enqueueDeliveries([newDelivery(clock, newWebhook(clock))]),
          listUnannounced: () => store.listUnannounced(10),
          announce: () => store.announce(job.id, 'revocation.started', [newDelivery(clock, newWebhook(clock))]),
          claimDeliveries: () => store.claimDeliveries('worker-b', t, leaseMs, 10),
          finishDelivery: () => store.finishDelivery('worker-a', uniqueId('delivery'), { status: 'delivered', at: t }),
          listDeliveries: () => store.listDeliveries(uniqueId('webhook')),
          putTrustRule: () => store.putTrustRule(newTrustRule(clock, agent.handle), d('trust.added')),
          listTrustRules: () => store.listTrustRules(agent.handle),
          listTrustRulesByIssuer: () => store.listTrustRulesByIssuer('https://issuer.test'),
          deleteTrustRule: () => store.deleteTrustRule(agent.handle, uniqueId('rule'), d('trust.removed')),
          ping: () => store.ping(),
        }
        for (const [method, call] of Object.entries(calls)) {
          await expect(call(), method).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', message: new StoreUnavailable().message })
        }
        await expect(store.close()).resolves.toBeUndefined()

        if (observer) {
          expect(await snapshot(observer)).toEqual(before)
          expect(await observer.getAgent(ghost.handle)).toBeUndefined()
          expect(await observer.getGrant(agent.handle, fresh.id)).toBeUndefined()
        }
      })
    })
  })
}
