import { beforeEach, describe, expect, it } from 'vitest'
import type { AgentPresence, MisuseReport, Store } from '../../ports/store/index.js'
import type { FakeClock } from '../fake-clock.js'
import { draft, uniqueHandle, uniqueId } from '../store-fixtures.js'
import { rejectsWith, type StoreKit } from './kit.js'

export function newPresence(clock: FakeClock, handle: string, overrides: Partial<AgentPresence> = {}): AgentPresence {
  return { handle, presence: 'public', displayName: 'Deploy bot', description: 'Ships main to prod', escalationContact: 'mailto:security@acme.test', updatedAt: clock.now(), ...overrides }
}

export function newReport(clock: FakeClock, handle: string, overrides: Partial<MisuseReport> = {}): MisuseReport {
  return { id: uniqueId('report'), handle, receivedAt: clock.now(), sourceDigest: 'ab'.repeat(32), category: 'impersonation', text: 'it opened a PR it should not have', ...overrides }
}

/** Presence profiles and misuse reports: PresenceStore. */
export function presenceCases(kit: StoreKit): void {
  describe('presence', () => {
    let store: Store
    let clock: FakeClock
    beforeEach(() => {
      store = kit.store
      clock = kit.clock
    })

    it('putPresence creates then replaces the record, optional fields dropped when absent, with an audit event each time', async () => {
      const agent = await kit.seed.agent()
      expect(await store.getPresence(agent.handle)).toBeUndefined()
      const first = newPresence(clock, agent.handle)
      await store.putPresence(first, draft(clock, 'presence.set', agent.handle))
      expect(await store.getPresence(agent.handle)).toEqual(first)
      clock.advance(1_000)
      const second: AgentPresence = { handle: agent.handle, presence: 'private', updatedAt: clock.now() }
      await store.putPresence(second, draft(clock, 'presence.set', agent.handle))
      expect(await store.getPresence(agent.handle)).toEqual(second)
      const actions = (await store.readAudit(agent.handle)).map((e) => e.action)
      expect(actions.filter((a) => a === 'presence.set')).toHaveLength(2)
    })

    it('putPresence and addReport refuse an unknown agent with AgentNotFound and write nothing', async () => {
      const ghost = uniqueHandle('ghost')
      await rejectsWith(store.putPresence(newPresence(clock, ghost), draft(clock, 'presence.set', ghost)), 'ERR_AGENT_NOT_FOUND')
      await rejectsWith(store.addReport(newReport(clock, ghost)), 'ERR_AGENT_NOT_FOUND')
      expect(await store.getPresence(ghost)).toBeUndefined()
      expect(await store.listReports(ghost)).toEqual([])
    })

    it('addReport is idempotent on id, leaves the audit chain alone; listReports is newest first and honours limit', async () => {
      const agent = await kit.seed.agent()
      const auditBefore = await store.readAudit(agent.handle)
      const reports: MisuseReport[] = []
      for (let i = 0; i < 3; i += 1) {
        reports.push(newReport(clock, agent.handle, { text: `report ${i}`, ...(i === 1 ? { contact: 'me@example.test', evidence: 'https://example.test/pr/1' } : {}) }))
        clock.advance(1_000)
      }
      for (const report of reports) await store.addReport(report)
      await store.addReport(reports[0]!)
      expect(await store.listReports(agent.handle)).toEqual([...reports].reverse())
      expect(await store.listReports(agent.handle, 2)).toEqual([reports[2], reports[1]])
      expect(await store.readAudit(agent.handle)).toEqual(auditBefore)
      const other = await kit.seed.agent()
      expect(await store.listReports(other.handle)).toEqual([])
    })
  })
}
