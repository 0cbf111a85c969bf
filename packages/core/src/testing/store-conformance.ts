import { afterEach, beforeEach, describe } from 'vitest'
import type { Grant } from '../exchange/grant.js'
import type { Clock } from '../ports/clock.js'
import type { Store } from '../ports/store/index.js'
import { FakeClock } from './fake-clock.js'
import { draft, seeds, uniqueId } from './store-fixtures.js'
import { adminCases } from './store/admins.js'
import { agentCases } from './store/agents.js'
import { approvalCases } from './store/approvals.js'
import { auditCases } from './store/audit.js'
import { checkpointCases } from './store/checkpoints.js'
import { delegationCases } from './store/delegation.js'
import { bindingCases } from './store/bindings.js'
import { grantCases } from './store/grants.js'
import { leaseMs, revokeAgent, type StoreConformanceOptions, type StoreKit } from './store/kit.js'
import { presenceCases } from './store/presence.js'
import { primitiveCases } from './store/primitives.js'
import { revocationCases } from './store/revocations.js'
import { signingKeyCases } from './store/signing-keys.js'
import { tierCases } from './store/tiers.js'
import { trustCases } from './store/trust.js'
import { webhookCases } from './store/webhooks.js'

export type { StoreConformanceOptions } from './store/kit.js'

/** One case group per port area, in `testing/store/<area>.ts`; a new area adds its line here. */
const areas: readonly ((kit: StoreKit) => void)[] = [agentCases, bindingCases, grantCases, revocationCases, auditCases, primitiveCases, signingKeyCases, webhookCases, trustCases, presenceCases, approvalCases, tierCases, checkpointCases, adminCases, delegationCases]

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
 * own `new Date()` where the contract says otherwise fails here. Every refusal is asserted by
 * its exact catalogue code.
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

    const kit: StoreKit = {
      options,
      get store() {
        return store
      },
      get clock() {
        return clock
      },
      seed,

      async replicas(count) {
        const list = [store]
        while (list.length < count) {
          const replica = options.replica ? await options.replica(store) : store
          if (replica !== store) others.push(replica)
          list.push(replica)
        }
        return list
      },

      revocationStart(scope, statusChange) {
        return { id: uniqueId('revocation'), scope, reason: 'key leaked', actor: 'admin:conformance', createdAt: clock.now(), ...(statusChange ? { statusChange } : {}) }
      },

      async revokeWithGrants(count) {
        const agent = await seed.agent()
        const binding = await seed.binding(agent)
        const grants: Grant[] = []
        for (let i = 0; i < count; i++) grants.push(await seed.grant(binding, 'live', { live: { sealedSecret: `v1.sealed.${i}` } }))
        const start = kit.revocationStart({ kind: 'agent', handle: agent.handle }, revokeAgent)
        await store.startRevocation(start, draft(clock, 'agent.revoked', agent.handle))
        return { agent, grants, revocationId: start.id }
      },

      async seedInFlight() {
        const agent = await seed.agent()
        const binding = await seed.binding(agent)
        const live = await seed.grant(binding, 'live')
        const pending = await seed.grant(binding, 'pending')
        const job = kit.revocationStart({ kind: 'grant', handle: agent.handle, grantId: live.id })
        await store.startRevocation(job, draft(clock, 'grant.revoke', live.id))
        await store.claimTasks('worker-a', clock.now(), leaseMs, 10)
        return { agent, binding, live, pending, job }
      },

      async taskOf(revocationId, grantId) {
        return (await store.getRevocation(revocationId))?.tasks.find((t) => t.grantId === grantId)
      },
    }

    for (const register of areas) register(kit)
  })
}
