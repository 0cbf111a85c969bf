import { beforeEach, describe, expect, it } from 'vitest'
import type { TrustRule } from '../../auth/trust-rule.js'
import type { Clock } from '../../ports/clock.js'
import type { Store } from '../../ports/store/index.js'
import type { FakeClock } from '../fake-clock.js'
import { draft, uniqueId } from '../store-fixtures.js'
import { rejectsWith, type StoreKit } from './kit.js'

/** A rule of `handle` for `issuer`, created now. */
export function newTrustRule(clock: Clock, handle: string, issuer = `https://issuer-${uniqueId('iss')}.test`): TrustRule {
  return {
    id: uniqueId('rule'),
    handle,
    issuer,
    audience: 'https://lanyard.test',
    subject: 'repo:acme/*:ref:refs/heads/main',
    claims: { repository_owner: 'acme', 'kubernetes.io': { namespace: 'prod' } },
    shape: 'github-actions',
    createdAt: clock.now(),
  }
}

/** Trust rules (#16): TrustRuleStore. */
export function trustCases(kit: StoreKit): void {
  describe('trust rules', () => {
    let store: Store
    let clock: FakeClock
    beforeEach(() => {
      store = kit.store
      clock = kit.clock
    })

    it('put, list by agent and by issuer in creation order; claims and shape round-trip', async () => {
      const [a, b] = [await kit.seed.agent(), await kit.seed.agent()]
      const first = newTrustRule(clock, a.handle)
      clock.advance(1000)
      const { shape: _shape, ...unshaped } = newTrustRule(clock, b.handle, first.issuer)
      const second: TrustRule = { ...unshaped, claims: {} }
      clock.advance(1000)
      const elsewhere = newTrustRule(clock, a.handle)
      await store.putTrustRule(first, draft(clock, 'trust.added', a.handle))
      await store.putTrustRule(second, draft(clock, 'trust.added', b.handle))
      await store.putTrustRule(elsewhere, draft(clock, 'trust.added', a.handle))
      expect(await store.listTrustRules(a.handle)).toEqual([first, elsewhere])
      expect(await store.listTrustRulesByIssuer(first.issuer)).toEqual([first, second])
      expect(await store.listTrustRulesByIssuer('https://nobody.test')).toEqual([])
      expect((await store.readAudit(a.handle)).map((e) => e.action)).toContain('trust.added')
    })

    it('delete is audited, false for an unknown id, and the rule leaves the issuer lookup', async () => {
      const agent = await kit.seed.agent()
      const rule = newTrustRule(clock, agent.handle)
      await store.putTrustRule(rule, draft(clock, 'trust.added', agent.handle))
      const before = (await store.readAudit(agent.handle)).length
      expect(await store.deleteTrustRule(agent.handle, uniqueId('rule'), draft(clock, 'trust.removed', agent.handle))).toBe(false)
      expect(await store.readAudit(agent.handle)).toHaveLength(before)
      expect(await store.deleteTrustRule(agent.handle, rule.id, draft(clock, 'trust.removed', agent.handle))).toBe(true)
      expect((await store.readAudit(agent.handle)).at(-1)?.action).toBe('trust.removed')
      expect(await store.listTrustRules(agent.handle)).toEqual([])
      expect(await store.listTrustRulesByIssuer(rule.issuer)).toEqual([])
      expect(await store.deleteTrustRule(agent.handle, rule.id, draft(clock, 'trust.removed', agent.handle))).toBe(false)
    })

    it('a rule for an agent that does not exist is refused and not found by issuer', async () => {
      const rule = newTrustRule(clock, `${uniqueId('ghost')}@agents.conformance.test`)
      await rejectsWith(store.putTrustRule(rule, draft(clock, 'trust.added', rule.handle)), 'ERR_AGENT_NOT_FOUND')
      expect(await store.listTrustRulesByIssuer(rule.issuer)).toEqual([])
    })
  })
}
