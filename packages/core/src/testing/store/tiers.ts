import { beforeEach, describe, expect, it } from 'vitest'
import type { TrustTier } from '../../agents/agent.js'
import type { Store } from '../../ports/store/index.js'
import { initialTierRecord, stepTier, type TierEvent, type TrustPolicy } from '../../tiers/tier-record.js'
import type { FakeClock } from '../fake-clock.js'
import { auditActions, draft, uniqueHandle } from '../store-fixtures.js'
import { range, rejectsWith, type StoreKit } from './kit.js'

const policy: TrustPolicy = {
  promote: [{ to: 2, after: { days: 0, grants: 8, incidents: 0 } }],
  severe: [],
  refusalBurst: { threshold: 3, windowSeconds: 60 },
  rateLimitBurst: { threshold: 3, windowSeconds: 60 },
  tiers: {},
}

/** Earned trust: TierStore. */
export function tierCases(kit: StoreKit): void {
  const { seed } = kit
  describe('tiers', () => {
    let store: Store
    let clock: FakeClock
    beforeEach(() => {
      store = kit.store
      clock = kit.clock
    })
    const apply = (on: Store, handle: string, event: TierEvent) =>
      on.applyTierStep(handle, (record, agent) => stepTier(record ?? initialTierRecord(agent), event, policy, clock.now()), (step) => (step.change ? draft(clock, 'agent.tier-changed', handle, { from: step.change.from, to: step.change.to, rule: step.change.rule }) : undefined))

    it('applyTierStep counts every concurrent event once, and moves the agent with its audit event when the tier changes', async () => {
      const agent = await seed.agent({ tier: 1 })
      expect(await store.getTierRecord(agent.handle)).toBeUndefined()
      const stores = await kit.replicas(3)
      await Promise.all(range(7).map((i) => apply(stores[i % stores.length]!, agent.handle, { kind: 'grant', approved: i === 0 })))
      expect(await store.getTierRecord(agent.handle)).toMatchObject({ tier: 1, grants: 7, approvalsGranted: 1 })
      expect((await store.getAgent(agent.handle))?.tier).toBe(1)
      const step = await apply(store, agent.handle, { kind: 'grant', approved: false })
      expect(step.change).toEqual({ from: 1, to: 2, rule: 'promotion', reason: expect.stringMatching(/promoted/) })
      expect(await store.getTierRecord(agent.handle)).toEqual(step.record)
      expect(step.record).toMatchObject({ tier: 2, grants: 0, since: clock.now() })
      expect((await store.getAgent(agent.handle))?.tier).toBe(2)
      expect(await auditActions(store, agent.handle)).toEqual(['agent.created', 'agent.tier-changed'])
    })

    it('an incident drops one tier and is remembered with its date', async () => {
      const agent = await seed.agent({ tier: 2 })
      for (const _ of range(2)) await apply(store, agent.handle, { kind: 'refusal' })
      expect((await store.getAgent(agent.handle))?.tier).toBe(2)
      const step = await apply(store, agent.handle, { kind: 'refusal' })
      expect(step).toMatchObject({ change: { from: 2, to: 1, rule: 'refused-burst' }, incident: { rule: 'refused-burst' } })
      const record = await store.getTierRecord(agent.handle)
      expect(record).toMatchObject({ tier: 1 as TrustTier, incidents: 1, totalIncidents: 1, lastIncident: { at: clock.now(), rule: 'refused-burst' } })
      expect((await store.getAgent(agent.handle))?.tier).toBe(1)
      await rejectsWith(apply(store, uniqueHandle(), { kind: 'refusal' }), 'ERR_AGENT_NOT_FOUND')
    })
  })
}
