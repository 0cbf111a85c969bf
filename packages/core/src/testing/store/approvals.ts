import { beforeEach, describe, expect, it } from 'vitest'
import type { Agent } from '../../agents/agent.js'
import type { Approval } from '../../approvals/approval.js'
import type { Binding } from '../../bindings/binding.js'
import type { Store } from '../../ports/store/index.js'
import type { FakeClock } from '../fake-clock.js'
import { auditActions, draft, newBinding, newGrant, uniqueHandle, uniqueId } from '../store-fixtures.js'
import { range, rejectsWith, revokeAgent, type StoreKit } from './kit.js'

export function newApproval(clock: FakeClock, agent: Agent, binding: Binding, overrides: Partial<Approval> = {}): Approval {
  return {
    id: uniqueId('approval'),
    handle: agent.handle,
    bindingId: binding.id,
    system: binding.system,
    scopes: ['contents:read', 'issues:write'],
    generation: agent.generation,
    approvers: ['alice@acme.test'],
    reason: 'release 4.2 needs the changelog issue',
    status: 'pending',
    requestedAt: clock.now(),
    expiresAt: new Date(clock.now().getTime() + 600_000),
    ...overrides,
  }
}

/** Approvals: ApprovalStore. */
export function approvalCases(kit: StoreKit): void {
  const { seed } = kit
  describe('approvals', () => {
    let store: Store
    let clock: FakeClock
    beforeEach(() => {
      store = kit.store
      clock = kit.clock
    })

    async function approved(): Promise<{ agent: Agent; binding: Binding; approval: Approval }> {
      const agent = await seed.agent()
      const binding = await seed.binding(agent)
      const { approval } = await store.requestApproval(newApproval(clock, agent, binding), draft(clock, 'approval.requested', agent.handle))
      await store.decideApproval(approval.id, { status: 'approved', by: 'alice@acme.test', at: clock.now(), note: 'ok for today' }, draft(clock, 'approval.approved', approval.id))
      return { agent, binding, approval }
    }

    it('requestApproval records a pending request once, keeping every field; a retry for the same exact set finds it', async () => {
      const agent = await seed.agent()
      const binding = await seed.binding(agent)
      const request = newApproval(clock, agent, binding)
      expect(await store.requestApproval(request, draft(clock, 'approval.requested', agent.handle))).toEqual({ approval: request, created: true })
      expect(await store.getApproval(request.id)).toEqual(request)
      clock.advance(1000)
      const again = await store.requestApproval(newApproval(clock, agent, binding), draft(clock, 'approval.requested', agent.handle))
      expect(again).toEqual({ approval: request, created: false })
      const other = newApproval(clock, agent, binding, { scopes: ['contents:read'] })
      expect((await store.requestApproval(other, draft(clock, 'approval.requested', agent.handle))).created).toBe(true)
      expect((await store.listApprovals({ handle: agent.handle })).map((a) => a.id)).toEqual([request.id, other.id])
      expect(await store.getApproval(uniqueId('approval'))).toBeUndefined()
      await rejectsWith(store.requestApproval(newApproval(clock, { ...agent, handle: uniqueHandle() }, binding), draft(clock, 'approval.requested', 'nobody')), 'ERR_AGENT_NOT_FOUND')
      expect(await auditActions(store, agent.handle)).toEqual(['agent.created', 'binding.created', 'approval.requested', 'approval.requested'])
    })

    it('decideApproval: the first decision stands; expired requests cannot be decided', async () => {
      const { agent, binding, approval } = await approved()
      const stored = await store.getApproval(approval.id)
      expect(stored).toMatchObject({ status: 'approved', decidedBy: 'alice@acme.test', note: 'ok for today', decidedAt: clock.now() })
      await rejectsWith(store.decideApproval(approval.id, { status: 'denied', by: 'bob@acme.test', at: clock.now() }, draft(clock, 'approval.denied', approval.id)), 'ERR_APPROVAL_NOT_PENDING')
      await rejectsWith(store.decideApproval(uniqueId('approval'), { status: 'denied', by: 'bob@acme.test', at: clock.now() }, draft(clock, 'approval.denied', 'x')), 'ERR_APPROVAL_NOT_FOUND')
      const late = (await store.requestApproval(newApproval(clock, agent, binding, { scopes: ['issues:write'] }), draft(clock, 'approval.requested', agent.handle))).approval
      clock.advance(600_000)
      await rejectsWith(store.decideApproval(late.id, { status: 'approved', by: 'alice@acme.test', at: clock.now() }, draft(clock, 'approval.approved', late.id)), 'ERR_APPROVAL_EXPIRED')
      expect(await store.listApprovals({ status: 'pending', handle: agent.handle })).toEqual([late])
      expect(await store.listApprovals({ status: 'approved' })).toContainEqual(stored)
    })

    it('beginApprovedGrant spends the approval and records the grant in one write, exactly once under concurrency', async () => {
      const { agent, binding, approval } = await approved()
      const stores = await kit.replicas(3)
      const grants = range(8).map(() => newGrant(clock, binding, { scopes: ['issues:write', 'contents:read'], approval: { id: approval.id, by: 'alice@acme.test' } }))
      const results = await Promise.allSettled(grants.map((grant, i) => stores[i % stores.length]!.beginApprovedGrant(grant, agent.generation, approval.id, draft(clock, 'grant.requested', grant.id))))
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [grants[i]!] : []))
      expect(won).toHaveLength(1)
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'ERR_APPROVAL_SPENT' })
      expect(await store.listGrants(agent.handle)).toEqual([{ ...won[0]!, status: 'pending' }])
      expect(await store.getApproval(approval.id)).toMatchObject({ status: 'spent', grantId: won[0]!.id, spentAt: clock.now() })
      expect((await auditActions(store, agent.handle)).filter((a) => a === 'grant.requested')).toHaveLength(1)
    })

    it('beginApprovedGrant refuses another agent, binding, scope set, generation, a denial and expiry, recording nothing', async () => {
      const { agent, binding, approval } = await approved()
      const other = await seed.agent()
      const otherBinding = await seed.binding(other)
      const use = (overrides: Parameters<typeof newGrant>[2], generation = agent.generation, on = binding) => {
        const grant = newGrant(clock, on, { scopes: ['contents:read', 'issues:write'], ...overrides })
        return store.beginApprovedGrant(grant, generation, approval.id, draft(clock, 'grant.requested', grant.id))
      }
      await rejectsWith(use({}, other.generation, otherBinding), 'ERR_APPROVAL_MISMATCH')
      await rejectsWith(use({ scopes: ['contents:read'] }), 'ERR_APPROVAL_MISMATCH')
      await rejectsWith(use({ bindingId: uniqueId('binding') }), 'ERR_APPROVAL_MISMATCH')
      await rejectsWith(use({}, agent.generation + 1), 'ERR_APPROVAL_CANCELLED')
      clock.advance(600_000)
      await rejectsWith(use({}), 'ERR_APPROVAL_EXPIRED')
      const second = (await store.requestApproval(newApproval(clock, agent, binding), draft(clock, 'approval.requested', agent.handle))).approval
      await store.decideApproval(second.id, { status: 'denied', by: 'alice@acme.test', at: clock.now() }, draft(clock, 'approval.denied', second.id))
      const grant = newGrant(clock, binding, { scopes: ['contents:read', 'issues:write'] })
      await rejectsWith(store.beginApprovedGrant(grant, agent.generation, second.id, draft(clock, 'grant.requested', grant.id)), 'ERR_APPROVAL_DENIED')
      await rejectsWith(store.beginApprovedGrant(grant, agent.generation, uniqueId('approval'), draft(clock, 'grant.requested', grant.id)), 'ERR_APPROVAL_NOT_FOUND')
      expect(await store.listGrants(agent.handle)).toEqual([])
      expect(await store.listGrants(other.handle)).toEqual([])
    })

    it('cancelApprovals cancels pending and approved ones with one event; a cancelled approval mints nothing', async () => {
      const { agent, binding, approval } = await approved()
      const waiting = (await store.requestApproval(newApproval(clock, agent, binding, { scopes: ['issues:write'] }), draft(clock, 'approval.requested', agent.handle))).approval
      expect(await store.cancelApprovals(agent.handle, draft(clock, 'approvals.cancelled', agent.handle))).toBe(2)
      expect(await store.cancelApprovals(agent.handle, draft(clock, 'approvals.cancelled', agent.handle))).toBe(0)
      expect((await store.listApprovals({ handle: agent.handle })).map((a) => [a.id, a.status])).toEqual([[approval.id, 'cancelled'], [waiting.id, 'cancelled']])
      const events = await store.readAudit(agent.handle)
      expect(events.at(-1)).toMatchObject({ action: 'approvals.cancelled', details: { approval_ids: [approval.id, waiting.id] } })
      const grant = newGrant(clock, binding, { scopes: ['contents:read', 'issues:write'] })
      await rejectsWith(store.beginApprovedGrant(grant, agent.generation, approval.id, draft(clock, 'grant.requested', grant.id)), 'ERR_APPROVAL_CANCELLED')
    })

    it('beginApprovedGrant refuses a revoked, removed or replaced binding even with a valid approval, as beginGrant does', async () => {
      const grantOn = (binding: Binding) => newGrant(clock, binding, { scopes: ['contents:read', 'issues:write'] })
      const endBinding = (binding: Binding, change: 'revoke' | 'remove') =>
        store.startRevocation({ ...kit.revocationStart({ kind: 'binding', handle: binding.handle, system: binding.system, bindingId: binding.id }), bindingChange: change }, draft(clock, `binding.${change === 'revoke' ? 'revoked' : 'removed'}`, binding.handle))
      for (const change of ['revoke', 'remove'] as const) {
        const { agent, binding, approval } = await approved()
        await endBinding(binding, change)
        const grant = grantOn(binding)
        await rejectsWith(store.beginApprovedGrant(grant, agent.generation, approval.id, draft(clock, 'grant.requested', grant.id)), change === 'revoke' ? 'ERR_BINDING_REVOKED' : 'ERR_BINDING_NOT_FOUND')
        expect(await store.listGrants(agent.handle)).toEqual([])
        expect(await store.getApproval(approval.id)).toMatchObject({ status: 'approved' })
      }
      // Replaced by another version since the approval: the grant names a binding that is no longer the agent's.
      const { agent, binding, approval } = await approved()
      const replacement = newBinding(clock, agent.handle, binding.system, { ceiling: ['contents:read'] })
      await store.putBinding(replacement, draft(clock, 'binding.replaced', agent.handle))
      const grant = grantOn(binding)
      await rejectsWith(store.beginApprovedGrant(grant, agent.generation, approval.id, draft(clock, 'grant.requested', grant.id)), 'ERR_BINDING_REVOKED')
      expect(await store.listGrants(agent.handle)).toEqual([])
    })

    it('beginApprovedGrant refuses a revoked agent even with a valid approval', async () => {
      const { agent, binding, approval } = await approved()
      await store.changeAgentStatus(agent.handle, revokeAgent, draft(clock, 'agent.revoked', agent.handle))
      const grant = newGrant(clock, binding, { scopes: ['contents:read', 'issues:write'] })
      await rejectsWith(store.beginApprovedGrant(grant, agent.generation, approval.id, draft(clock, 'grant.requested', grant.id)), 'ERR_AGENT_NOT_ACTIVE')
      expect(await store.getApproval(approval.id)).toMatchObject({ status: 'approved' })
    })

    it('putBinding keeps an approval policy', async () => {
      const agent = await seed.agent()
      const binding = newBinding(clock, agent.handle, 'github-acme', { approval: { scopes: ['issues:write'], approvers: ['owner', 'alice@acme.test'], ttlSeconds: 900, belowTier: 2 } })
      await store.putBinding(binding, draft(clock, 'binding.put', agent.handle))
      expect(await store.getBinding(agent.handle, 'github-acme')).toEqual(binding)
    })
  })
}
