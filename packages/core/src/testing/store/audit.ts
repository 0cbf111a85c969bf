import { beforeEach, describe, expect, it } from 'vitest'
import type { AuditDraft, AuditEvent } from '../../audit/event.js'
import { genesisHash, sealAuditEvent, verifyAuditChain } from '../../audit/chain.js'
import type { Store } from '../../ports/store/index.js'
import type { FakeClock } from '../fake-clock.js'
import { draft, liveSettlement, newAgent, newGrant, newKey, uniqueHandle } from '../store-fixtures.js'
import { revokeAgent, revoked, rejectsWith, range, type StoreKit } from './kit.js'

/** The audit chain: AuditStore, and audit-before-answer for every write. */
export function auditCases(kit: StoreKit): void {
  const { seed, replicas, revocationStart, seedInFlight, taskOf } = kit
  describe('audit', () => {
    let store: Store
    let clock: FakeClock
    beforeEach(() => {
      store = kit.store
      clock = kit.clock
    })

    it('appendAudit seals each event onto the previous with core\'s chain; readAudit pages; the chain verifies', async () => {
      const agent = await seed.agent()
      const [created] = await store.readAudit(agent.handle)
      expect(created).toMatchObject({ handle: agent.handle, seq: 1, prevHash: genesisHash })
      let previous: AuditEvent = created!
      const appended: AuditEvent[] = [previous]
      for (let i = 2; i <= 6; i++) {
        clock.advance(10)
        const event: AuditDraft = { ...draft(clock, `test.event-${i}`, `target-${i}`, { i, nested: { list: [i, 'x'], flag: true, none: null } }), outcome: i % 2 ? 'failure' : 'success' }
        const sealed = await store.appendAudit(agent.handle, event)
        expect(sealed).toEqual(sealAuditEvent(agent.handle, previous, event))
        appended.push(sealed)
        previous = sealed
      }
      const chain = await store.readAudit(agent.handle)
      expect(chain).toEqual(appended)
      expect(verifyAuditChain(chain)).toEqual({ ok: true, length: 6, head: previous.hash })
      expect((await store.readAudit(agent.handle, { afterSeq: 2, limit: 2 })).map((e) => e.seq)).toEqual([3, 4])
      expect(await store.readAudit(agent.handle, { afterSeq: 6 })).toEqual([])
      expect(await store.readAudit(uniqueHandle())).toEqual([])
      await rejectsWith(store.appendAudit(uniqueHandle(), draft(clock, 'test.event', 'nobody')), 'ERR_AGENT_NOT_FOUND')
      const other = await seed.agent()
      expect(await store.readAudit(other.handle)).toMatchObject([{ seq: 1, prevHash: genesisHash }])
    })

    it('readAuditHead is the newest event, moved by every audited write in its own transaction', async () => {
      const agent = await seed.agent()
      const [created] = await store.readAudit(agent.handle)
      expect(await store.readAuditHead(agent.handle)).toEqual({ seq: 1, hash: created!.hash })
      await store.addKey(newKey(clock, agent.handle), draft(clock, 'key.added', agent.handle))
      const appended = await store.appendAudit(agent.handle, draft(clock, 'test.event', agent.handle))
      const chain = await store.readAudit(agent.handle)
      expect(chain.at(-1)).toEqual(appended)
      expect(await store.readAuditHead(agent.handle)).toEqual({ seq: 3, hash: appended.hash })
      expect(verifyAuditChain(chain, await store.readAuditHead(agent.handle))).toEqual({ ok: true, length: 3, head: appended.hash })
      // The head is what catches a chain cut short: the same events less the newest fail there.
      expect(verifyAuditChain(chain.slice(0, -1), await store.readAuditHead(agent.handle))).toMatchObject({ ok: false, brokenAt: 3 })
      // A refused write moves neither the chain nor its head.
      await rejectsWith(store.appendAudit(agent.handle, { ...draft(clock, 'test.event', agent.handle), details: { size: 1n } }), 'ERR_AUDIT_UNAVAILABLE')
      expect(await store.readAuditHead(agent.handle)).toEqual({ seq: 3, hash: appended.hash })
      expect(await store.readAuditHead(uniqueHandle())).toBeUndefined()
    })

    it('concurrent appends on several store objects keep the head on the newest event', async () => {
      const stores = await replicas(3)
      const agent = await seed.agent()
      await Promise.all(range(12).map((i) => stores[i % stores.length]!.appendAudit(agent.handle, draft(clock, 'test.event', `t-${i}`))))
      const chain = await store.readAudit(agent.handle)
      expect(await store.readAuditHead(agent.handle)).toEqual({ seq: 13, hash: chain.at(-1)!.hash })
    })

    it('concurrent appends on several store objects form one gapless chain', async () => {
      const stores = await replicas(4)
      const agent = await seed.agent()
      await Promise.all(range(24).map((i) => stores[i % stores.length]!.appendAudit(agent.handle, draft(clock, 'test.event', `t-${i}`))))
      const chain = await store.readAudit(agent.handle)
      expect(chain.map((e) => e.seq)).toEqual(range(25).map((i) => i + 1))
      expect(verifyAuditChain(chain)).toMatchObject({ ok: true, length: 25 })
    })

    it('a write whose audit event cannot be sealed writes nothing at all', async () => {
      // BigInt makes canonical JSON throw inside the store's write, as a failing audit write would.
      const poison = (d: AuditDraft): AuditDraft => ({ ...d, details: { size: 1n } })
      const { agent, binding, live, pending, job } = await seedInFlight()
      const chain = await store.readAudit(agent.handle)

      const ghost = newAgent(clock)
      await rejectsWith(store.createAgent(ghost, poison(draft(clock, 'agent.created', ghost.handle))), 'ERR_AUDIT_UNAVAILABLE')
      expect(await store.getAgent(ghost.handle)).toBeUndefined()
      expect(await store.readAudit(ghost.handle)).toEqual([])

      await rejectsWith(store.changeAgentStatus(agent.handle, { status: 'suspended', from: ['active'] }, poison(draft(clock, 'agent.suspended', agent.handle))), 'ERR_AUDIT_UNAVAILABLE')
      await rejectsWith(store.addKey(newKey(clock, agent.handle), poison(draft(clock, 'key.added', agent.handle))), 'ERR_AUDIT_UNAVAILABLE')
      await rejectsWith(store.putBinding({ ...binding, ceiling: ['admin'] }, poison(draft(clock, 'binding.put', agent.handle))), 'ERR_AUDIT_UNAVAILABLE')
      const unbegun = newGrant(clock, binding)
      await rejectsWith(store.beginGrant(unbegun, agent.generation, poison(draft(clock, 'grant.requested', unbegun.id))), 'ERR_AUDIT_UNAVAILABLE')
      await rejectsWith(store.settleGrant(agent.handle, pending.id, liveSettlement(clock, pending.id), poison(draft(clock, 'grant.issued', pending.id))), 'ERR_AUDIT_UNAVAILABLE')
      const unstarted = revocationStart({ kind: 'agent', handle: agent.handle }, revokeAgent)
      await rejectsWith(store.startRevocation(unstarted, poison(draft(clock, 'agent.revoked', agent.handle))), 'ERR_AUDIT_UNAVAILABLE')
      await rejectsWith(store.completeTask('worker-a', job.id, live.id, revoked, clock.now(), poison(draft(clock, 'grant.revoked', live.id))), 'ERR_AUDIT_UNAVAILABLE')
      await rejectsWith(store.appendAudit(agent.handle, poison(draft(clock, 'test.event', agent.handle))), 'ERR_AUDIT_UNAVAILABLE')

      expect(await store.getAgent(agent.handle)).toEqual(agent)
      expect(await store.listKeys(agent.handle)).toEqual([])
      expect(await store.getBinding(agent.handle, binding.system)).toEqual(binding)
      expect(await store.getGrant(agent.handle, unbegun.id)).toBeUndefined()
      expect(await store.getGrant(agent.handle, pending.id)).toEqual(pending)
      expect(await store.getGrant(agent.handle, live.id)).toEqual(live)
      expect(await store.getRevocation(unstarted.id)).toBeUndefined()
      expect(await taskOf(job.id, live.id)).toMatchObject({ status: 'pending', leaseOwner: 'worker-a' })
      expect(await store.readAudit(agent.handle)).toEqual(chain)
    })
  })
}
