import { beforeEach, describe, expect, it } from 'vitest'
import { verifyAuditChain } from '../../audit/chain.js'
import type { Store } from '../../ports/store/index.js'
import type { FakeClock } from '../fake-clock.js'
import { auditActions, draft, newAgent, newGrant, newKey, uniqueHandle, uniqueId } from '../store-fixtures.js'
import { revokeAgent, bump, rejectsWith, range, type StoreKit } from './kit.js'

/** Agents and their keys: AgentStore. */
export function agentCases(kit: StoreKit): void {
  const { seed, replicas } = kit
  describe('agents', () => {
    let store: Store
    let clock: FakeClock
    beforeEach(() => {
      store = kit.store
      clock = kit.clock
    })

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

    it('removeKey deletes the key and bumps the generation in one write; the last key may go; an unknown kid is KeyNotFound', async () => {
      const agent = await seed.agent()
      const [first, second] = [newKey(clock, agent.handle), newKey(clock, agent.handle)]
      await store.addKey(first, draft(clock, 'key.added', agent.handle))
      await store.addKey(second, draft(clock, 'key.added', agent.handle))
      clock.advance(1_000)
      const after = await store.removeKey(agent.handle, first.kid, draft(clock, 'key.removed', agent.handle))
      expect(after).toEqual({ ...agent, generation: agent.generation + 1, updatedAt: clock.now() })
      expect(await store.getAgent(agent.handle)).toEqual(after)
      expect((await store.listKeys(agent.handle)).map((k) => k.kid)).toEqual([second.kid])
      // A grant under the generation of the removed key is refused.
      const binding = await seed.binding(agent)
      const stale = newGrant(clock, binding)
      await rejectsWith(store.beginGrant(stale, agent.generation, draft(clock, 'grant.requested', stale.id)), 'ERR_AGENT_NOT_ACTIVE')

      await rejectsWith(store.removeKey(agent.handle, first.kid, draft(clock, 'key.removed', agent.handle)), 'ERR_KEY_NOT_FOUND')
      await rejectsWith(store.removeKey(uniqueHandle(), first.kid, draft(clock, 'key.removed', 'nobody')), 'ERR_AGENT_NOT_FOUND')
      const last = await store.removeKey(agent.handle, second.kid, draft(clock, 'key.removed', agent.handle))
      expect(last.generation).toBe(agent.generation + 2)
      expect(await store.listKeys(agent.handle)).toEqual([])
      expect(await auditActions(store, agent.handle)).toEqual(['agent.created', 'key.added', 'key.added', 'key.removed', 'binding.created', 'key.removed'])
    })

    it('concurrent key removals and additions on several store objects lose no generation bump', async () => {
      const agent = await seed.agent()
      const keys = range(6).map(() => newKey(clock, agent.handle))
      for (const key of keys) await store.addKey(key, draft(clock, 'key.added', agent.handle))
      const stores = await replicas(3)
      await Promise.all(keys.map((key, i) => stores[i % stores.length]!.removeKey(agent.handle, key.kid, draft(clock, 'key.removed', agent.handle))))
      expect((await store.getAgent(agent.handle))?.generation).toBe(agent.generation + keys.length)
      expect(await store.listKeys(agent.handle)).toEqual([])
    })
  })
}
