import { beforeEach, describe, expect, it } from 'vitest'
import type { Grant } from '../../exchange/grant.js'
import type { Store } from '../../ports/store/index.js'
import type { FakeClock } from '../fake-clock.js'
import { auditActions, draft, liveSettlement, newBinding, newGrant, uniqueHandle, uniqueId } from '../store-fixtures.js'
import { revokeAgent, bump, rejectsWith, ids, type StoreKit } from './kit.js'

/** Grants: GrantStore, including the one refusal of a double settle (GrantNotPending). */
export function grantCases(kit: StoreKit): void {
  const { seed } = kit
  describe('grants', () => {
    let store: Store
    let clock: FakeClock
    beforeEach(() => {
      store = kit.store
      clock = kit.clock
    })

    it('beginGrant records a pending grant under the current generation, readable by its agent only', async () => {
      const agent = await seed.agent()
      const binding = await seed.binding(agent)
      const grant = newGrant(clock, binding, { scopes: ['contents:read', 'issues:write'] })
      await store.beginGrant(grant, agent.generation, draft(clock, 'grant.requested', grant.id))
      expect(await store.getGrant(agent.handle, grant.id)).toEqual({ ...grant, status: 'pending' })
      expect(await store.getGrant((await seed.agent()).handle, grant.id)).toBeUndefined()
      expect(await store.getGrant(agent.handle, uniqueId('grant'))).toBeUndefined()
      expect(await auditActions(store, agent.handle)).toEqual(['agent.created', 'binding.created', 'grant.requested'])
    })

    it('beginGrant refuses an agent whose generation moved, or that is suspended or revoked, recording nothing', async () => {
      const agent = await seed.agent()
      const binding = await seed.binding(agent)
      const { handle } = agent
      const attempt = (generation: number) => {
        const grant = newGrant(clock, binding)
        return store.beginGrant(grant, generation, draft(clock, 'grant.requested', grant.id))
      }
      // (1) A token minted before the last change carries an old generation.
      const bumped = await store.changeAgentStatus(handle, bump, draft(clock, 'agent.bumped', handle))
      await rejectsWith(attempt(agent.generation), 'ERR_AGENT_NOT_ACTIVE')
      await rejectsWith(attempt(bumped.generation + 1), 'ERR_AGENT_NOT_ACTIVE')
      // (2) Suspended, at its current generation.
      const suspended = await store.changeAgentStatus(handle, { status: 'suspended', from: ['active'] }, draft(clock, 'agent.suspended', handle))
      await rejectsWith(attempt(suspended.generation), 'ERR_AGENT_NOT_ACTIVE')
      // (3) Revoked.
      const gone = await store.changeAgentStatus(handle, revokeAgent, draft(clock, 'agent.revoked', handle))
      await rejectsWith(attempt(gone.generation), 'ERR_AGENT_NOT_ACTIVE')
      // (4) No such agent.
      const stray = newGrant(clock, newBinding(clock, uniqueHandle()))
      await rejectsWith(store.beginGrant(stray, 1, draft(clock, 'grant.requested', stray.id)), 'ERR_AGENT_NOT_FOUND')

      expect(await store.listGrants(handle)).toEqual([])
      expect(await auditActions(store, handle)).toEqual(['agent.created', 'binding.created', 'agent.bumped', 'agent.suspended', 'agent.revoked'])
    })

    it('settleGrant moves pending to live (ref, index, expiry, sealed secret) or to failed (error), once', async () => {
      const agent = await seed.agent()
      const binding = await seed.binding(agent)
      const toLive = await seed.grant(binding, 'pending')
      const toFail = await seed.grant(binding, 'pending')
      clock.advance(2_000)

      const settlement = liveSettlement(clock, toLive.id, { sealedSecret: 'v1.sealed.token', ref: { tokenSha256: 'abc', nested: { list: [1, 2] } } })
      const live = await store.settleGrant(agent.handle, toLive.id, settlement, draft(clock, 'grant.issued', toLive.id))
      expect(live).toEqual({ ...toLive, status: 'live', expiresAt: settlement.expiresAt, ref: settlement.ref, index: settlement.index, sealedSecret: 'v1.sealed.token' })
      expect(await store.getGrant(agent.handle, toLive.id)).toEqual(live)

      const failedAt = draft(clock, 'grant.failed', toFail.id)
      const failed = await store.settleGrant(agent.handle, toFail.id, { status: 'failed', error: 'upstream refused' }, failedAt)
      expect(failed).toEqual({ ...toFail, status: 'failed', error: 'upstream refused', endedAt: failedAt.at })
      expect(await store.getGrant(agent.handle, toFail.id)).toEqual(failed)

      // A reconciler and a slow exchange may both settle one grant: the second must not win,
      // and hears the same refusal on every store.
      await rejectsWith(store.settleGrant(agent.handle, toFail.id, liveSettlement(clock, toFail.id), draft(clock, 'grant.issued', toFail.id)), 'ERR_GRANT_NOT_PENDING')
      await rejectsWith(store.settleGrant(agent.handle, toLive.id, { status: 'failed', error: 'late' }, draft(clock, 'grant.failed', toLive.id)), 'ERR_GRANT_NOT_PENDING')
      expect(await store.getGrant(agent.handle, toFail.id)).toEqual(failed)
      expect(await store.getGrant(agent.handle, toLive.id)).toEqual(live)
      await rejectsWith(store.settleGrant(agent.handle, uniqueId('grant'), { status: 'failed', error: 'x' }, draft(clock, 'grant.failed', 'nothing')), 'ERR_GRANT_NOT_FOUND')
      expect(await auditActions(store, agent.handle)).toEqual(['agent.created', 'binding.created', 'grant.requested', 'grant.requested', 'grant.issued', 'grant.failed'])
    })

    it('listGrants filters by status; listPendingGrants finds pending grants created before a time', async () => {
      const agent = await seed.agent()
      const binding = await seed.binding(agent)
      const other = await seed.binding(await seed.agent())
      const live = await seed.grant(binding, 'live')
      const failed = await seed.grant(binding, 'failed')
      const early = await seed.grant(binding, 'pending')
      clock.advance(1_000)
      const late = await seed.grant(binding, 'pending')
      const stranger = await seed.grant(other, 'pending')

      expect(ids(await store.listGrants(agent.handle))).toEqual(ids([live, failed, early, late]))
      expect(ids(await store.listGrants(agent.handle, 'live'))).toEqual([live.id])
      expect(ids(await store.listGrants(agent.handle, 'failed'))).toEqual([failed.id])
      expect(ids(await store.listGrants(agent.handle, 'pending'))).toEqual(ids([early, late]))
      expect(await store.listGrants(agent.handle, 'revoked')).toEqual([])
      expect(await store.listGrants(uniqueHandle())).toEqual([])

      const pendingBefore = async (before: Date) => ids(await store.listPendingGrants(before)).filter((id) => [early.id, late.id, stranger.id, live.id].includes(id))
      expect(await pendingBefore(late.createdAt)).toEqual([early.id])
      expect(await pendingBefore(new Date(late.createdAt.getTime() + 1))).toEqual(ids([early, late, stranger]))
      expect((await store.listPendingGrants(late.createdAt)).find((g) => g.id === early.id)).toEqual(early)
    })

    it('findGrants answers whois by any index key, across agents', async () => {
      const shared = uniqueId('session')
      const settled: Grant[] = []
      for (const agent of [await seed.agent(), await seed.agent()]) {
        const grant = newGrant(clock, await seed.binding(agent, 'aws-prod'))
        await store.beginGrant(grant, agent.generation, draft(clock, 'grant.requested', grant.id))
        const index = { aws_access_key_id: uniqueId('ASIA'), aws_session_name: shared }
        settled.push(await store.settleGrant(agent.handle, grant.id, liveSettlement(clock, grant.id, { index }), draft(clock, 'grant.issued', grant.id)))
      }
      const [first, second] = settled as [Grant, Grant]
      expect(await store.findGrants('aws_access_key_id', first.index.aws_access_key_id!)).toEqual([first])
      expect(ids(await store.findGrants('aws_session_name', shared))).toEqual(ids([first, second]))
      expect(await store.findGrants('aws_access_key_id', shared)).toEqual([])
      expect(await store.findGrants('github_hashed_token', first.index.aws_access_key_id!)).toEqual([])
    })
  })
}
