import { beforeEach, describe, expect, it } from 'vitest'
import type { Binding } from '../../bindings/binding.js'
import type { Store } from '../../ports/store/index.js'
import type { FakeClock } from '../fake-clock.js'
import { auditActions, draft, newBinding, newGrant, uniqueHandle, uniqueId } from '../store-fixtures.js'
import { ids, raceExchangesWithRevocation, rejectsWith, revokeAgent, type StoreKit } from './kit.js'

/** Bindings: BindingStore, and the binding side of beginGrant and startRevocation. */
export function bindingCases(kit: StoreKit): void {
  const { seed } = kit
  describe('bindings', () => {
    let store: Store
    let clock: FakeClock
    beforeEach(() => {
      store = kit.store
      clock = kit.clock
    })

    const put = (binding: Binding, on: Store = store) => on.putBinding(binding, draft(clock, 'binding.created', binding.handle))
    const begin = (binding: Binding, generation = 1, on: Store = store) => {
      const grant = newGrant(clock, binding)
      return on.beginGrant(grant, generation, draft(clock, 'grant.requested', grant.id))
    }
    const endBinding = (binding: Binding, change: 'revoke' | 'remove') =>
      store.startRevocation(
        { ...kit.revocationStart({ kind: 'binding', handle: binding.handle, system: binding.system, bindingId: binding.id }), bindingChange: change },
        draft(clock, `binding.${change === 'revoke' ? 'revoked' : 'removed'}`, binding.handle),
      )

    it('putBinding creates or replaces the agent\'s binding to one system, keeping JSON targets intact', async () => {
      const agent = await seed.agent()
      const github = newBinding(clock, agent.handle, 'github-acme')
      const aws = newBinding(clock, agent.handle, 'aws-prod', { target: { roleArn: 'arn:aws:iam::123456789012:role/deploy', maxSeconds: 900 } })
      expect(await put(github)).toEqual({ action: 'binding.created' })
      await put(aws)
      expect(await store.getBinding(agent.handle, 'github-acme')).toMatchObject(github)

      const replacement = newBinding(clock, agent.handle, 'github-acme', { ceiling: ['contents:read'], minTier: 2, target: { installationId: 7 } })
      expect(await put(replacement)).toEqual({ action: 'binding.replaced' })
      expect(await store.getBinding(agent.handle, 'github-acme')).toMatchObject({ ...replacement, status: 'active' })
      expect([...(await store.listBindings(agent.handle))].sort((a, b) => (a.system < b.system ? -1 : 1)).map((b) => b.id)).toEqual([aws.id, replacement.id])
      expect(await store.getBinding(agent.handle, 'corp-idp')).toBeUndefined()
      expect(await store.listBindings(uniqueHandle())).toEqual([])
      await rejectsWith(put(newBinding(clock, uniqueHandle())), 'ERR_AGENT_NOT_FOUND')
      expect(await auditActions(store, agent.handle)).toEqual(['agent.created', 'binding.created', 'binding.created', 'binding.replaced'])
    })

    it('a binding revoke ends the binding and takes every open grant of the agent on that system, whichever version issued it', async () => {
      const agent = await seed.agent()
      const v1 = await seed.binding(agent, 'github-acme')
      const aws = await seed.binding(agent, 'aws-prod')
      const underV1 = await seed.grant(v1, 'live')
      // Re-binding with the same target and ceiling covers the open grant: nothing is cut.
      const v2 = newBinding(clock, agent.handle, 'github-acme')
      expect(await put(v2)).toEqual({ action: 'binding.replaced' })
      const underV2 = await seed.grant(v2, 'live')
      const pendingV2 = await seed.grant(v2, 'pending')
      const onAws = await seed.grant(aws, 'live')

      const { revocation } = await endBinding(v2, 'revoke')
      expect(ids(revocation.tasks)).toEqual(ids([underV1, underV2, pendingV2]))
      expect(revocation.scope).toEqual({ kind: 'binding', handle: agent.handle, system: 'github-acme', bindingId: v2.id })
      expect(await store.getBinding(agent.handle, 'github-acme')).toMatchObject({ id: v2.id, status: 'revoked', revokedAt: clock.now() })
      // The cut sticks: no grant is begun against the revoked binding, of any version.
      await rejectsWith(begin(v2), 'ERR_BINDING_REVOKED')
      await rejectsWith(begin(v1), 'ERR_BINDING_REVOKED')
      expect(ids(await store.listGrants(agent.handle, 'pending'))).toEqual([pendingV2.id])
      // Other systems are untouched.
      expect((await seed.grant(aws, 'live')).status).toBe('live')
      expect(onAws.status).toBe('live')

      // Only a new binding, made on purpose, exchanges again; it is audited as created.
      clock.advance(1_000)
      const v3 = newBinding(clock, agent.handle, 'github-acme')
      expect(await put(v3)).toMatchObject({ action: 'binding.created' })
      expect(await store.getBinding(agent.handle, 'github-acme')).toMatchObject({ id: v3.id, status: 'active' })
      expect((await store.getBinding(agent.handle, 'github-acme'))?.revokedAt).toBeUndefined()
      await begin(v3)
      await rejectsWith(begin(v2), 'ERR_BINDING_REVOKED')
      const actions = await auditActions(store, agent.handle)
      expect(actions.filter((a) => a.startsWith('binding.'))).toEqual(['binding.created', 'binding.created', 'binding.replaced', 'binding.revoked', 'binding.created'])
    })

    it('a binding removal deletes the binding and takes its open grants; a missing binding is BindingNotFound', async () => {
      const agent = await seed.agent()
      const binding = await seed.binding(agent, 'github-acme')
      const live = await seed.grant(binding, 'live')
      const { revocation } = await endBinding(binding, 'remove')
      expect(ids(revocation.tasks)).toEqual([live.id])
      expect(await store.getBinding(agent.handle, 'github-acme')).toBeUndefined()
      await rejectsWith(begin(binding), 'ERR_BINDING_NOT_FOUND')
      await rejectsWith(endBinding(binding, 'remove'), 'ERR_BINDING_NOT_FOUND')
      await rejectsWith(endBinding(binding, 'revoke'), 'ERR_BINDING_NOT_FOUND')
      expect((await auditActions(store, agent.handle)).at(-1)).toBe('binding.removed')
    })

    it('a replacement revokes, in its write, the open grants it does not cover: wider scopes, another target, an unmet tier', async () => {
      const agent = await seed.agent({ tier: 1 })
      const v1 = newBinding(clock, agent.handle, 'github-acme', { ceiling: ['contents:read', 'issues:write'] })
      await put(v1)
      const read = await seed.grant(v1, 'live')
      // Same target, same ceiling, a tier the agent meets: nothing to cut, no job.
      const same = newBinding(clock, agent.handle, 'github-acme', { ceiling: ['contents:read', 'issues:write'] })
      expect(await put(same)).toEqual({ action: 'binding.replaced' })
      expect(await store.getRevocation(same.id)).toBeUndefined()
      const wide = newGrant(clock, same, { scopes: ['contents:read', 'issues:write'] })
      await store.beginGrant(wide, agent.generation, draft(clock, 'grant.requested', wide.id))

      // Narrower ceiling: the wide (pending) grant is cut, the read one stays.
      const v2 = newBinding(clock, agent.handle, 'github-acme', { ceiling: ['contents:read'] })
      const narrowed = await put(v2)
      expect(narrowed.action).toBe('binding.replaced')
      expect(narrowed.revocation).toMatchObject({ id: v2.id, status: 'running', scope: { kind: 'binding', system: 'github-acme' } })
      expect(ids(narrowed.revocation!.tasks)).toEqual([wide.id])
      expect((await store.getRevocation(v2.id))?.tasks.map((t) => t.grantId)).toEqual([wide.id])
      // An exchange that read an earlier version before the replacement is refused.
      await rejectsWith(begin(same), 'ERR_BINDING_REVOKED')

      // Another target: everything open is cut. A tier the agent does not meet: likewise.
      const v3 = newBinding(clock, agent.handle, 'github-acme', { ceiling: ['contents:read'], target: { installationId: 99 } })
      expect(ids((await put(v3)).revocation!.tasks)).toEqual(ids([read, wide]))
      const kept = await seed.grant(v3, 'live')
      const v4 = newBinding(clock, agent.handle, 'github-acme', { ceiling: ['contents:read'], target: { installationId: 99 }, minTier: 3 })
      expect(ids((await put(v4)).revocation!.tasks)).toEqual(ids([read, wide, kept]))
      // Grants whose tasks are not worked yet are still open: one still uncovered is cut again
      // (revoking is idempotent); the covered ones are not.
      const v5 = newBinding(clock, agent.handle, 'github-acme', { ceiling: ['contents:read'], target: { installationId: 99 }, minTier: 0 })
      expect(ids((await put(v5)).revocation!.tasks)).toEqual([wide.id])
      const events = (await store.readAudit(agent.handle)).filter((e) => e.action === 'binding.replaced')
      expect(events.map((e) => e.details.revoked_grants)).toEqual([undefined, 1, 2, 3, 1])
      expect(events[1]?.details.revocation_id).toBe(v2.id)
    })

    it('a revoked agent is given no binding, and its handle is not reusable by a new agent', async () => {
      const agent = await seed.agent()
      const binding = await seed.binding(agent, 'github-acme')
      await store.changeAgentStatus(agent.handle, revokeAgent, draft(clock, 'agent.revoked', agent.handle))
      await rejectsWith(put(newBinding(clock, agent.handle, 'aws-prod')), 'ERR_AGENT_NOT_ACTIVE')
      // (changeAgentStatus alone leaves bindings as they are; a revocation ends them: see below.)
      await rejectsWith(put(newBinding(clock, agent.handle, 'github-acme')), 'ERR_AGENT_NOT_ACTIVE')
      await rejectsWith(seed.agent({ handle: agent.handle }), 'ERR_AGENT_EXISTS')
      expect(await store.getAgent(agent.handle)).toMatchObject({ status: 'revoked' })
      expect((await store.listBindings(agent.handle)).map((b) => b.id)).toEqual([binding.id])
      expect(await auditActions(store, agent.handle)).toEqual(['agent.created', 'binding.created', 'agent.revoked'])
      // A suspended agent may still be bound (it can be resumed).
      const suspended = await seed.agent({ status: 'suspended' })
      expect(await put(newBinding(clock, suspended.handle))).toEqual({ action: 'binding.created' })
    })

    it('an exclusive target key is held by one agent\'s active binding per system, and freed when that binding moves on', async () => {
      const system = uniqueId('corp-idp')
      const client = uniqueId('client')
      const [a, b, c] = [await seed.agent(), await seed.agent(), await seed.agent()]
      const bindTo = (agent: { handle: string }, exclusiveKey: string, on: Store = store) => put(newBinding(clock, agent.handle, system, { target: { clientId: exclusiveKey }, exclusiveKey }), on)
      await bindTo(a, client)
      await rejectsWith(bindTo(b, client), 'ERR_BINDING_CONFLICT')
      // The same agent may re-bind its own client; another system may use the same key.
      expect(await bindTo(a, client)).toEqual({ action: 'binding.replaced' })
      await put(newBinding(clock, b.handle, uniqueId('other-idp'), { exclusiveKey: client }))
      // A replacement with another client frees the first one.
      await bindTo(a, `${client}-2`)
      await bindTo(b, client)
      await rejectsWith(bindTo(c, client), 'ERR_BINDING_CONFLICT')
      await rejectsWith(bindTo(c, `${client}-2`), 'ERR_BINDING_CONFLICT')
      // A binding revoke and a removal free it too.
      await endBinding((await store.getBinding(b.handle, system))!, 'revoke')
      await bindTo(c, client)
      await endBinding((await store.getBinding(a.handle, system))!, 'remove')
      expect(await bindTo(b, `${client}-2`)).toEqual({ action: 'binding.created' })
      expect(await auditActions(store, b.handle)).not.toContain('binding.refused')
    })

    it('revoking an agent ends its bindings in the same write, and frees its exclusive targets', async () => {
      const system = uniqueId('corp-idp')
      const client = uniqueId('client')
      const [a, b] = [await seed.agent(), await seed.agent()]
      const github = await seed.binding(a, 'github-acme')
      await put(newBinding(clock, a.handle, system, { exclusiveKey: client }))
      await rejectsWith(put(newBinding(clock, b.handle, system, { exclusiveKey: client })), 'ERR_BINDING_CONFLICT')
      await store.startRevocation(kit.revocationStart({ kind: 'agent', handle: a.handle }, revokeAgent), draft(clock, 'agent.revoked', a.handle))
      const ended = await store.listBindings(a.handle)
      expect(ended.map((x) => [x.system, x.status]).sort()).toEqual([['github-acme', 'revoked'], [system, 'revoked']].sort())
      await rejectsWith(begin(github, (await store.getAgent(a.handle))!.generation), 'ERR_AGENT_NOT_ACTIVE')
      expect(await put(newBinding(clock, b.handle, system, { exclusiveKey: client }))).toEqual({ action: 'binding.created' })
    })

    it('check binding + record grant is atomic: under a racing binding revoke every grant recorded is in its job, or was refused', async () => {
      const stores = await kit.replicas(3)
      const agent = await seed.agent()
      const binding = await seed.binding(agent, 'github-acme')
      const start = { ...kit.revocationStart({ kind: 'binding', handle: agent.handle, system: binding.system, bindingId: binding.id }), bindingChange: 'revoke' as const }
      const recorded = await raceExchangesWithRevocation({ clock, stores, agent, binding, start, action: 'binding.revoked', refusal: 'ERR_BINDING_REVOKED' })
      expect(ids((await store.getRevocation(start.id))?.tasks ?? [])).toEqual(recorded)
      expect(ids(await store.listGrants(agent.handle))).toEqual(recorded)
      // And once it has committed, every replica refuses.
      for (const on of stores) await rejectsWith(begin(binding, agent.generation, on), 'ERR_BINDING_REVOKED')
    })

    it('two agents racing for one exclusive target on different replicas: exactly one is bound', async () => {
      const system = uniqueId('corp-idp')
      const client = uniqueId('client')
      const replicas = await kit.replicas(4)
      const agents = await Promise.all(replicas.map(() => seed.agent()))
      const results = await Promise.allSettled(agents.map((agent, i) => put(newBinding(clock, agent.handle, system, { exclusiveKey: client }), replicas[i])))
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'ERR_BINDING_CONFLICT' })
      const bound = await Promise.all(agents.map((agent) => store.getBinding(agent.handle, system)))
      expect(bound.filter((b) => b !== undefined)).toHaveLength(1)
    })
  })
}
