import { expect, it } from 'vitest'
import type { TrustRule } from '../auth/trust-rule.js'
import type { Clock } from '../ports/clock.js'
import type { Store } from '../ports/store.js'
import { draft, uniqueId } from './store-fixtures.js'

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

/**
 * Trust-rule cases of the Store kit, registered inside `storeConformance`'s describe (which
 * opens a fresh store per case). `tick` moves the case's fake clock.
 */
export function trustRuleCases(ctx: { store: () => Store; clock: () => Clock; agent: () => Promise<{ handle: string }>; tick: (ms: number) => void }): void {
  it('trust rules: put, list by agent and by issuer in creation order, claims and shape round-trip', async () => {
    const store = ctx.store()
    const [a, b] = [await ctx.agent(), await ctx.agent()]
    const first = newTrustRule(ctx.clock(), a.handle)
    ctx.tick(1000)
    const second = { ...newTrustRule(ctx.clock(), b.handle, first.issuer), shape: undefined, claims: {} }
    delete (second as { shape?: unknown }).shape
    ctx.tick(1000)
    const elsewhere = newTrustRule(ctx.clock(), a.handle)
    await store.putTrustRule(first, draft(ctx.clock(), 'trust.added', a.handle))
    await store.putTrustRule(second, draft(ctx.clock(), 'trust.added', b.handle))
    await store.putTrustRule(elsewhere, draft(ctx.clock(), 'trust.added', a.handle))
    expect(await store.listTrustRules(a.handle)).toEqual([first, elsewhere])
    expect(await store.listTrustRulesByIssuer(first.issuer)).toEqual([first, second])
    expect(await store.listTrustRulesByIssuer('https://nobody.test')).toEqual([])
    expect((await store.readAudit(a.handle)).map((e) => e.action)).toContain('trust.added')
  })

  it('trust rules: delete is audited, false for an unknown id, and the rule leaves the issuer lookup', async () => {
    const store = ctx.store()
    const agent = await ctx.agent()
    const rule = newTrustRule(ctx.clock(), agent.handle)
    await store.putTrustRule(rule, draft(ctx.clock(), 'trust.added', agent.handle))
    const before = (await store.readAudit(agent.handle)).length
    expect(await store.deleteTrustRule(agent.handle, uniqueId('rule'), draft(ctx.clock(), 'trust.removed', agent.handle))).toBe(false)
    expect(await store.readAudit(agent.handle)).toHaveLength(before)
    expect(await store.deleteTrustRule(agent.handle, rule.id, draft(ctx.clock(), 'trust.removed', agent.handle))).toBe(true)
    expect((await store.readAudit(agent.handle)).at(-1)?.action).toBe('trust.removed')
    expect(await store.listTrustRules(agent.handle)).toEqual([])
    expect(await store.listTrustRulesByIssuer(rule.issuer)).toEqual([])
    expect(await store.deleteTrustRule(agent.handle, rule.id, draft(ctx.clock(), 'trust.removed', agent.handle))).toBe(false)
  })

  it('trust rules: a rule for an agent that does not exist is refused', async () => {
    const rule = newTrustRule(ctx.clock(), `${uniqueId('ghost')}@agents.conformance.test`)
    await expect(ctx.store().putTrustRule(rule, draft(ctx.clock(), 'trust.added', rule.handle))).rejects.toMatchObject({ code: 'ERR_AGENT_NOT_FOUND' })
    expect(await ctx.store().listTrustRulesByIssuer(rule.issuer)).toEqual([])
  })
}
