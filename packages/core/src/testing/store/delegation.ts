import { beforeEach, describe, expect, it } from 'vitest'
import type { Agent } from '../../agents/agent.js'
import type { Store } from '../../ports/store/index.js'
import type { FakeClock } from '../fake-clock.js'
import { auditActions, draft, newAgent, newBinding, uniqueId } from '../store-fixtures.js'
import { rejectsWith, type StoreKit } from './kit.js'

/** Sub-agents (#17): the parent link and lapse on agents, `delegable` on bindings. */
export function delegationCases(kit: StoreKit): void {
  const { seed } = kit
  describe('delegation', () => {
    let store: Store
    let clock: FakeClock
    beforeEach(() => {
      store = kit.store
      clock = kit.clock
    })
    const childOf = (parent: Agent, overrides: Partial<Agent> = {}) => {
      const at = parent.handle.indexOf('@')
      return newAgent(clock, { handle: `${uniqueId('w')}.${parent.handle.slice(0, at)}${parent.handle.slice(at)}`, owner: parent.owner, parent: parent.handle, ...overrides })
    }

    it('a child keeps its parent and expiry; an agent without them reads back without them', async () => {
      const parent = await seed.agent()
      const child = childOf(parent, { expiresAt: new Date(clock.now().getTime() + 3_600_000) })
      await store.createAgent(child, draft(clock, 'agent.created', child.handle, { parent: parent.handle }))
      expect(await store.getAgent(child.handle)).toEqual(child)
      const read = await store.getAgent(parent.handle)
      expect(read?.parent).toBeUndefined()
      expect(read?.expiresAt).toBeUndefined()
    })

    it('listAgents({ parent }) lists exactly that agent\'s children, sorted, with the status filter', async () => {
      const parent = await seed.agent()
      const other = await seed.agent()
      const children = [childOf(parent), childOf(parent), childOf(parent)]
      for (const child of children) await store.createAgent(child, draft(clock, 'agent.created', child.handle))
      const stranger = childOf(other)
      await store.createAgent(stranger, draft(clock, 'agent.created', stranger.handle))
      const sorted = children.map((c) => c.handle).sort()
      await store.changeAgentStatus(sorted[0]!, { status: 'revoked', from: ['active'] }, draft(clock, 'agent.revoked', sorted[0]!))
      expect((await store.listAgents({ parent: parent.handle })).map((a) => a.handle)).toEqual(sorted)
      expect((await store.listAgents({ parent: parent.handle, status: 'active' })).map((a) => a.handle)).toEqual(sorted.slice(1))
      expect((await store.listAgents({ parent: other.handle })).map((a) => a.handle)).toEqual([stranger.handle])
      expect(await store.listAgents({ parent: children[1]!.handle })).toEqual([])
    })

    it('createAgent refuses a child of a parent that is not active (AgentNotActive) or absent (AgentNotFound), writing nothing', async () => {
      const parent = await seed.agent()
      await store.changeAgentStatus(parent.handle, { status: 'suspended', from: ['active'] }, draft(clock, 'agent.suspended', parent.handle))
      const child = childOf(parent)
      await rejectsWith(store.createAgent(child, draft(clock, 'agent.created', child.handle)), 'ERR_AGENT_NOT_ACTIVE')
      expect(await store.getAgent(child.handle)).toBeUndefined()
      expect(await auditActions(store, child.handle)).toEqual([])
      const orphan = newAgent(clock, { parent: `${uniqueId('ghost')}@agents.conformance.test` })
      await rejectsWith(store.createAgent(orphan, draft(clock, 'agent.created', orphan.handle)), 'ERR_AGENT_NOT_FOUND')
      expect(await store.getAgent(orphan.handle)).toBeUndefined()
    })

    it('putDelegation creates or replaces the rule of (subject, actor), audited on the subject; listDelegations reads them by actor', async () => {
      const subject = await seed.agent()
      const later = new Date(clock.now().getTime() + 3_600_000)
      const rule = (actor: string, scopes: string[]) => ({ subject: subject.handle, actor, systems: ['memory'], scopes, expiresAt: later, createdBy: 'admin:conformance', createdAt: clock.now() })
      await store.putDelegation(rule('b@agents.conformance.test', ['read']), draft(clock, 'delegation.set', subject.handle))
      await store.putDelegation(rule('a@agents.conformance.test', ['read']), draft(clock, 'delegation.set', subject.handle))
      await store.putDelegation(rule('b@agents.conformance.test', ['write']), draft(clock, 'delegation.set', subject.handle))
      expect(await store.listDelegations(subject.handle)).toEqual([rule('a@agents.conformance.test', ['read']), rule('b@agents.conformance.test', ['write'])])
      expect((await auditActions(store, subject.handle)).filter((a) => a === 'delegation.set')).toHaveLength(3)
      await rejectsWith(store.putDelegation({ ...rule('a@agents.conformance.test', ['read']), subject: `${uniqueId('ghost')}@agents.conformance.test` }, draft(clock, 'delegation.set', 'x')), 'ERR_AGENT_NOT_FOUND')
      expect(await store.listDelegations(`${uniqueId('ghost')}@agents.conformance.test`)).toEqual([])
    })

    it('putBinding keeps `delegable: true`; a binding without it reads back without it', async () => {
      const agent = await seed.agent()
      const delegable = newBinding(clock, agent.handle, 'memory', { delegable: true })
      await store.putBinding(delegable, draft(clock, 'binding.created', agent.handle))
      expect(await store.getBinding(agent.handle, 'memory')).toEqual(delegable)
      const plain = newBinding(clock, agent.handle, 'memory')
      await store.putBinding(plain, draft(clock, 'binding.created', agent.handle))
      expect((await store.getBinding(agent.handle, 'memory'))?.delegable).toBeUndefined()
    })
  })
}
