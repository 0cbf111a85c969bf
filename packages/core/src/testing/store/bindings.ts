import { beforeEach, describe, expect, it } from 'vitest'
import type { Store } from '../../ports/store/index.js'
import type { FakeClock } from '../fake-clock.js'
import { auditActions, draft, newBinding, uniqueHandle } from '../store-fixtures.js'
import { rejectsWith, type StoreKit } from './kit.js'

/** Bindings: BindingStore. */
export function bindingCases(kit: StoreKit): void {
  const { seed } = kit
  describe('bindings', () => {
    let store: Store
    let clock: FakeClock
    beforeEach(() => {
      store = kit.store
      clock = kit.clock
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
}
