import { AgentNotActive, AgentNotFound, ApprovalMismatch, ApprovalNotFound, checkGrantBinding, decidedApproval, isLanyardError, spentApproval, type Approval, type ApprovalStore } from '@lanyard/core'
import { decodeAgent, decodeAll, decodeApproval, decodeBinding, encode } from './codec.js'
import { call } from './connection.js'
import { noop, type RedisDatabase } from './database.js'
import { trackOpen } from './grants.js'
import { indexMember, parseIndexMember } from './keys.js'
import { Transaction } from './transaction.js'

/**
 * Approvals: a hash per agent (`approvals`, field = id) under the agent's tag, so that spending
 * one and recording the grant it allows are one guarded commit with the agent's chain head
 * (every approval change is audited, so the head guards the approval too). `approval` (id ->
 * handle) and `approvalIndex` (all, by request time) are global indexes written before the
 * commit and verified against the agent's hash on read (keys.ts (2)).
 */
export function createApprovalMethods(db: RedisDatabase): ApprovalStore {
  const { client, keys, snapshot, mutate, index } = db

  async function locate(id: string): Promise<{ handle: string; approval: Approval } | undefined> {
    const handle = await call(() => client.get(keys.approval(id)))
    if (handle === null) return undefined
    const approval = decodeApproval(await call(() => client.hget(keys.approvals(handle), id)))
    return approval === undefined ? undefined : { handle, approval }
  }

  /** Reads head, agent and one approval of `handle` as one snapshot. */
  async function readAt(handle: string, id: string) {
    const [head, agentRecord, record] = (await snapshot([
      ['get', keys.head(handle)],
      ['get', keys.agent(handle)],
      ['hget', keys.approvals(handle), id],
    ])) as [string | null, string | null, string | null]
    return { head, agentRecord, approval: decodeApproval(record) }
  }

  return {
    async requestApproval(approval, audit) {
      const { handle } = approval
      return mutate<{ approval: Approval; created: boolean }>(async () => {
        const [head, agentRecord] = (await snapshot([
          ['get', keys.head(handle)],
          ['get', keys.agent(handle)],
        ])) as [string | null, string | null]
        if (agentRecord === null) throw new AgentNotFound(handle)
        const open = decodeAll(await call(() => client.hvals(keys.approvals(handle))), decodeApproval, (a) => `${a.requestedAt.toISOString()} ${a.id}`).find(
          (a) => a.status === 'pending' && a.bindingId === approval.bindingId && a.generation === approval.generation && a.expiresAt > approval.requestedAt && encode(a.scopes) === encode(approval.scopes),
        )
        if (open !== undefined) return { result: { approval: open, created: false } }
        const created: Approval = { ...approval, status: 'pending' }
        const txn = new Transaction().hset(keys.approvals(handle), approval.id, encode(created))
        txn.appendAudit(keys, handle, head, audit)
        const before = [() => call(() => client.set(keys.approval(approval.id), handle)), index.zadd(keys.approvalIndex, approval.requestedAt.getTime(), indexMember(handle, approval.id))]
        return { result: { approval: created, created: true }, write: { txn, before } }
      })
    },

    async getApproval(id) {
      return (await locate(id))?.approval
    },

    async listApprovals(filter = {}) {
      let members: string[]
      if (filter.handle !== undefined) {
        const handle = filter.handle
        members = (await call(() => client.hkeys(keys.approvals(handle)))).map((id) => indexMember(handle, id))
      } else {
        members = await call(() => client.zrange(keys.approvalIndex, 0, -1))
      }
      const found: Approval[] = []
      for (const member of members) {
        const [handle, id] = parseIndexMember(member)
        if (handle === undefined || id === undefined) continue
        const approval = decodeApproval(await call(() => client.hget(keys.approvals(handle), id)))
        if (approval !== undefined && (filter.status === undefined || approval.status === filter.status)) found.push(approval)
      }
      return found.sort((a, b) => a.requestedAt.getTime() - b.requestedAt.getTime() || (a.id < b.id ? -1 : 1))
    },

    async decideApproval(id, decision, audit) {
      const handle = await call(() => client.get(keys.approval(id)))
      if (handle === null) throw new ApprovalNotFound(id)
      return mutate(async () => {
        const { head, approval } = await readAt(handle, id)
        if (approval === undefined) throw new ApprovalNotFound(id)
        const decided = decidedApproval(approval, decision)
        const txn = new Transaction().hset(keys.approvals(handle), id, encode(decided))
        txn.appendAudit(keys, handle, head, audit)
        return { result: decided, write: { txn } }
      })
    },

    async beginApprovedGrant(grant, generation, approvalId, audit) {
      const { handle } = grant
      const pending = indexMember(handle, grant.id)
      try {
        // The pending-index entry first, as beginGrant does: readers verify it against the grant.
        await index.zadd(keys.pendingGrants, grant.createdAt.getTime(), pending)()
        return await mutate(async () => {
          const [agentRecord, record, bindingRecord] = (await snapshot([
            ['get', keys.agent(handle)],
            ['hget', keys.approvals(handle), approvalId],
            ['hget', keys.bindings(handle), grant.system],
          ])) as [string | null, string | null, string | null]
          const approval = decodeApproval(record)
          if (approval === undefined) {
            // Another agent's approval is not in this agent's hash: say whose it is not.
            const elsewhere = await locate(approvalId)
            if (elsewhere === undefined) throw new ApprovalNotFound(approvalId)
            throw new ApprovalMismatch(approvalId, 'agent')
          }
          // The approval rules decide (spent, expired, denied, another binding or scope set).
          const spent = spentApproval(approval, { handle, bindingId: grant.bindingId, scopes: grant.scopes, generation, grantId: grant.id, at: grant.createdAt })
          // One step, as main's beginGrant (grants.ts): the script checks the agent's status and
          // generation, the binding (this grant's version, not revoked) and that the approval is
          // still as read, writes grant and spent approval, and seals the event on whatever head
          // the chain has. A revocation (of the agent or the binding) that commits first refuses
          // this; a second spender finds the approval changed, re-reads, and is refused.
          const txn = new Transaction()
            .expectActive(keys.agent(handle), generation)
            .expectBinding(keys.bindings(handle), grant.system, grant.bindingId)
            .expect(keys.approvals(handle), record, approvalId)
            .hset(keys.grants(handle), grant.id, encode({ ...grant, status: 'pending' }))
            .hset(keys.approvals(handle), approvalId, encode(spent))
          trackOpen(txn, keys.openGrants(handle), { ...grant, status: 'pending' }).zremrangebyscore(keys.openGrants(handle), '-inf', `(${grant.createdAt.getTime()}`)
          txn.sealAudit(keys, handle, audit, db.heads)
          // Read again after a failed guard: a changed agent is refused here, a changed approval above.
          const agent = decodeAgent(agentRecord)
          if (agent === undefined) throw new AgentNotFound(handle)
          if (agent.status !== 'active') throw new AgentNotActive(handle, agent.status)
          if (agent.generation !== generation) throw new AgentNotActive(handle, 'changed since the token was issued')
          checkGrantBinding(grant, decodeBinding(bindingRecord))
          return { result: spent, write: { txn } }
        })
      } catch (error) {
        // A definite refusal: the entry points at nothing. (After StoreUnavailable the commit may have landed.)
        if (isLanyardError(error) && error.code !== 'ERR_STORE_UNAVAILABLE') await index.zrem(keys.pendingGrants, pending)().catch(noop)
        throw error
      }
    },

    async cancelApprovals(handle, audit) {
      return mutate(async () => {
        const [head, records] = (await snapshot([
          ['get', keys.head(handle)],
          ['hvals', keys.approvals(handle)],
        ])) as [string | null, string[]]
        const open = decodeAll(records, decodeApproval, (a) => `${a.requestedAt.toISOString()} ${a.id}`).filter((a) => a.status === 'pending' || a.status === 'approved')
        if (open.length === 0) return { result: 0 }
        const txn = new Transaction()
        for (const approval of open) txn.hset(keys.approvals(handle), approval.id, encode({ ...approval, status: 'cancelled' }))
        txn.appendAudit(keys, handle, head, { ...audit, details: { ...audit.details, approval_ids: open.map((a) => a.id) } })
        return { result: open.length, write: { txn } }
      })
    },
  }
}
