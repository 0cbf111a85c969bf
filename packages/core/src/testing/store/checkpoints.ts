import { beforeEach, describe, expect, it } from 'vitest'
import { checkpointRoot } from '../../audit/checkpoint.js'
import type { AuditCheckpoint, Store } from '../../ports/store/index.js'
import type { FakeClock } from '../fake-clock.js'
import { draft, uniqueId } from '../store-fixtures.js'
import type { StoreKit } from './kit.js'

/** Chain heads of every agent and the signed checkpoints over them: CheckpointStore. */
export function checkpointCases(kit: StoreKit): void {
  const { seed } = kit
  describe('checkpoints', () => {
    let store: Store
    let clock: FakeClock
    beforeEach(() => {
      store = kit.store
      clock = kit.clock
    })

    it('listAuditHeads gives every agent\'s chain head, sorted by handle, as readAuditHead does', async () => {
      const [a, b] = [await seed.agent(), await seed.agent()]
      await store.appendAudit(b.handle, draft(clock, 'test.event', b.handle))
      const heads = await store.listAuditHeads()
      const handles = heads.map((h) => h.handle)
      expect(handles).toEqual([...handles].sort())
      for (const agent of [a, b]) {
        const head = await store.readAuditHead(agent.handle)
        expect(heads.filter((h) => h.handle === agent.handle)).toEqual([{ handle: agent.handle, ...head }])
      }
      expect(heads.find((h) => h.handle === b.handle)?.seq).toBe(2)
    })

    it('putCheckpoint keeps checkpoints whole; listCheckpoints gives the latest first', async () => {
      const heads = [{ handle: 'a@agents.test', seq: 3, hash: 'a'.repeat(64) }, { handle: 'b@agents.test', seq: 1, hash: 'b'.repeat(64) }]
      const make = (): AuditCheckpoint => {
        clock.advance(1_000)
        return { id: uniqueId('checkpoint'), at: clock.now(), root: checkpointRoot(heads), heads, token: `header.${uniqueId('payload')}.sig` }
      }
      const [first, second, third] = [make(), make(), make()]
      await store.putCheckpoint(second)
      await store.putCheckpoint(first)
      await store.putCheckpoint(third)
      await store.putCheckpoint(third)
      const latest = await store.listCheckpoints(2)
      expect(latest).toEqual([third, second])
      expect((await store.listCheckpoints(100)).filter((c) => [first.id, second.id, third.id].includes(c.id))).toEqual([third, second, first])
      expect(await store.listCheckpoints(0)).toEqual([])
    })
  })
}
