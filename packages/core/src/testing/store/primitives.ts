import { beforeEach, describe, expect, it } from 'vitest'
import { StoreUnavailable } from '../../errors.js'
import type { Store } from '../../ports/store/index.js'
import type { FakeClock } from '../fake-clock.js'
import { draft, liveSettlement, newAgent, newBinding, newGrant, newDelivery, newKey, newSigningKey, newWebhook, uniqueId } from '../store-fixtures.js'
import { revokeAgent, revoked, leaseMs, range, type StoreKit } from './kit.js'
import { newTrustRule } from './trust.js'
import { newPresence, newReport } from './presence.js'
import { newAdmin, newSession } from './admins.js'

/** The replay cache, revoked tokens, health, and failing closed after the backend goes: PrimitiveStore (the last case calls every method of every area). */
export function primitiveCases(kit: StoreKit): void {
  const { replicas, revocationStart, seedInFlight, options } = kit
  describe('replay cache and revoked tokens', () => {
    let store: Store
    let clock: FakeClock
    beforeEach(() => {
      store = kit.store
      clock = kit.clock
    })

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

  describe('failing closed', () => {
    let store: Store
    let clock: FakeClock
    beforeEach(() => {
      store = kit.store
      clock = kit.clock
    })

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
        presence: await s.getPresence(agent.handle),
        reports: await s.listReports(agent.handle),
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
        requestApproval: () => store.requestApproval({ id: 'a', handle: agent.handle, bindingId: binding.id, system: binding.system, scopes: ['contents:read'], generation: 1, approvers: ['a@b.test'], status: 'pending', requestedAt: t, expiresAt: t }, d('approval.requested')),
        getApproval: () => store.getApproval('a'),
        getTierRecord: () => store.getTierRecord(agent.handle),
        applyTierStep: () => store.applyTierStep(agent.handle, (_record, a) => ({ record: { handle: a.handle, tier: a.tier, since: t, reason: 'x', grants: 1, approvalsGranted: 0, incidents: 0, totalIncidents: 0, refusals: { startMs: 0, count: 0 }, rateHits: { startMs: 0, count: 0 } } }), () => undefined),
        listApprovals: () => store.listApprovals(),
        decideApproval: () => store.decideApproval('a', { status: 'denied', by: 'a@b.test', at: t }, d('approval.denied')),
        beginApprovedGrant: () => store.beginApprovedGrant(fresh, agent.generation, 'a', d('grant.requested')),
        cancelApprovals: () => store.cancelApprovals(agent.handle, d('approvals.cancelled')),
        listAgents: () => store.listAgents(),
        changeAgentStatus: () => store.changeAgentStatus(agent.handle, revokeAgent, d('agent.revoked')),
        addKey: () => store.addKey(newKey(clock, agent.handle), d('key.added')),
        listKeys: () => store.listKeys(agent.handle),
        removeKey: () => store.removeKey(agent.handle, 'some-kid', d('key.removed')),
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
        listRevocations: () => store.listRevocations({ limit: 10 }),
        claimTasks: () => store.claimTasks('worker-b', new Date(t.getTime() + leaseMs), leaseMs, 10),
        completeTask: () => store.completeTask('worker-a', job.id, live.id, revoked, t, d('grant.revoked')),
        retryTask: () => store.retryTask('worker-a', job.id, live.id, t, 'later'),
        appendAudit: () => store.appendAudit(agent.handle, d('test.event')),
        readAudit: () => store.readAudit(agent.handle),
        readAuditHead: () => store.readAuditHead(agent.handle),
        listAuditHeads: () => store.listAuditHeads(),
        putCheckpoint: () => store.putCheckpoint({ id: uniqueId('checkpoint'), at: t, root: '0'.repeat(64), heads: [], token: 'x.y.z' }),
        listCheckpoints: () => store.listCheckpoints(1),
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
        putPresence: () => store.putPresence(newPresence(clock, agent.handle), d('presence.set')),
        getPresence: () => store.getPresence(agent.handle),
        addReport: () => store.addReport(newReport(clock, agent.handle)),
        listReports: () => store.listReports(agent.handle),
        putDelegation: () => store.putDelegation({ subject: agent.handle, actor: 'actor@agents.conformance.test', systems: ['memory'], scopes: ['read'], expiresAt: t, createdBy: 'admin:conformance', createdAt: t }, d('delegation.set')),
        listDelegations: () => store.listDelegations(agent.handle),
        ping: () => store.ping(),
        createAdmin: () => store.createAdmin(newAdmin(clock), d('admin.created')),
        getAdmin: () => store.getAdmin('alice@acme.test'),
        findAdminByTokenHash: () => store.findAdminByTokenHash('0'.repeat(64)),
        listAdmins: () => store.listAdmins(),
        revokeAdmin: () => store.revokeAdmin('alice@acme.test', t, d('admin.revoked')),
        retireBootstrap: () => store.retireBootstrap(t, d('bootstrap.retired')),
        bootstrapRetiredAt: () => store.bootstrapRetiredAt(),
        createSession: () => store.createSession(newSession(clock), d('console.signed-in')),
        findSession: () => store.findSession('0'.repeat(64), t),
        deleteSession: () => store.deleteSession('0'.repeat(64)),
        readAdminAudit: () => store.readAdminAudit(),
        readAdminAuditHead: () => store.readAdminAuditHead(),
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
}
