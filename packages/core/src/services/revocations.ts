import { randomUUID } from 'node:crypto'
import { BindingNotFound, GrantNotFound, RequestInvalid, RevocationNotFound, RevocationRunning } from '../errors.js'
import { normaliseIdentity } from '../agents/identity-string.js'
import type { Agent } from '../agents/agent.js'
import type { Sealer } from '../crypto/sealer.js'
import type { Systems } from '../exchange/connectors.js'
import { isOpenAt, type Grant } from '../exchange/grant.js'
import type { Clock } from '../ports/clock.js'
import type { Logger } from '../ports/connector.js'
import type { EventBus } from '../ports/event-bus.js'
import type { AgentStore, BindingStore, GrantStore, RevocationStore } from '../ports/store/index.js'
import { createCascadeWorker, type CascadeSettings, type CascadeWorker } from '../revocation/cascade.js'
import { receiptBody, signReceipt, type ReceiptBody } from '../revocation/receipt.js'
import type { Revocation, RevocationEvent } from '../revocation/revocation.js'
import type { KeyRing } from '../tokens/key-ring.js'
import { auditDraft, mustGetAgent, publishChanged } from './context.js'
import { cutTree, descendantsOf, treeJobs, type TreeCut } from './revocation-tree.js'

/** A dry run: what a revocation would cut, how, and when the last credential would be dead. */
export interface RevocationPlan {
  readonly grants: ReadonlyArray<{ readonly grant: Grant; readonly mechanism: string }>
  /** The latest expiry among them: the worst case if no upstream revoked anything. */
  readonly lastExpiryAt?: Date
  /** Sub-agents (#17): what the cut would take of each descendant, parents first. */
  readonly tree?: ReadonlyArray<{ readonly handle: string; readonly status: string; readonly grants: RevocationPlan['grants'] }>
}

/** An agent's cut: its job, the agent after, and each descendant's part (#17: the cut covers the tree). */
export interface AgentCut {
  readonly revocation: Revocation
  readonly agent: Agent
  readonly tree?: readonly TreeCut[]
}

/** Revocations: opening jobs of every scope, the cascade that works them, receipts. */
export interface RevocationService {
  readonly cascade: CascadeWorker
  /** Terminal. Once this returns, no replica records a grant for the agent; the job is durable. */
  revoke(actor: string, handle: string, reason: string): Promise<AgentCut>
  /** Suspends (reversible) and cuts every live grant, in one write; the same for every descendant. */
  suspendAndRevokeGrants(actor: string, handle: string, reason: string): Promise<AgentCut>
  /** Revokes one grant; the agent stays active. */
  revokeGrant(actor: string, handle: string, grantId: string, reason: string): Promise<Revocation>
  /**
   * Ends the agent's binding to `system` (status `revoked`: it exchanges nothing until an admin
   * binds the system again) and revokes every open grant of the agent on that system, whichever
   * binding version issued it, in one write.
   */
  revokeBinding(actor: string, handle: string, system: string, reason: string): Promise<Revocation>
  /** As `revokeBinding`, but deletes the binding. */
  removeBinding(actor: string, handle: string, system: string, reason: string): Promise<Revocation>
  /** A job another service opened in its own write (a binding replacement that cut grants): tell listeners, wake the cascade. */
  announce(revocation: Revocation): void
  /** A person leaves: revokes every agent they own that is not revoked yet, one job per agent. */
  revokeOwner(actor: string, owner: string, reason: string): Promise<AgentCut[]>
  /** What revoking the agent would do, without doing it. */
  planRevocation(handle: string): Promise<RevocationPlan>
  /** The signed receipt of a finished revocation (RevocationRunning before that). */
  receipt(id: string): Promise<{ token: string; body: ReceiptBody }>
  /** Revocation jobs started and finished, for webhooks. Returns an unsubscribe function. */
  onRevocation(listener: (event: RevocationEvent) => void): () => void
  getRevocation(id: string): Promise<Revocation>
  /** The revocation history, newest first: `limit` of them created before `before`. */
  listRevocations(query: { before?: Date; limit: number }): Promise<Revocation[]>
}

export interface RevocationServiceDeps {
  readonly store: AgentStore & BindingStore & GrantStore & RevocationStore
  readonly bus: EventBus
  readonly clock: Clock
  readonly log: Logger
  readonly systems: Systems
  readonly sealer: Sealer
  readonly keys: KeyRing
  readonly issuer: string
  /** Names this replica in task leases. */
  readonly replicaId: string
  readonly cascade: CascadeSettings
}

export function createRevocationService(deps: RevocationServiceDeps): RevocationService {
  const { store, clock, systems } = deps
  const listeners = new Set<(event: RevocationEvent) => void>()
  function emit(event: RevocationEvent): void {
    for (const listener of listeners) {
      try {
        listener(event)
      } catch (error) {
        deps.log.error({ err: String(error) }, 'revocation listener failed')
      }
    }
  }
  const cascade = createCascadeWorker({
    store, systems, sealer: deps.sealer, clock, log: deps.log, owner: deps.replicaId, settings: deps.cascade,
    onFinished: (revocation) => emit({ type: 'revocation.finished', revocation }),
  })

  /** Opens a job, tells listeners, wakes the cascade. A job with no task is born finished. */
  function announce(revocation: Revocation): void {
    emit({ type: 'revocation.started', revocation })
    if (revocation.status === 'done') emit({ type: 'revocation.finished', revocation })
    else cascade.wake()
  }
  async function started(result: { revocation: Revocation; agent: Agent }): Promise<{ revocation: Revocation; agent: Agent }> {
    announce(result.revocation)
    return result
  }
  /** The cut of `handle` reaches its descendants before the caller answers (revocation-tree.ts). */
  async function withTree(actor: string, mode: 'revoke' | 'suspend-and-revoke', reason: string, result: { revocation: Revocation; agent: Agent }): Promise<AgentCut> {
    const root = await started(result)
    const tree = await cutTree({ store, bus: deps.bus, clock, log: deps.log, announce }, actor, root.agent.handle, mode, reason, root.revocation.id)
    return tree.length === 0 ? root : { ...root, tree }
  }
  function plan(grants: readonly Grant[]): RevocationPlan['grants'] {
    return grants.map((grant) => ({ grant, mechanism: systems.get(grant.system)?.definition.revocationMechanism ?? (systems.has(grant.system) ? `${grant.connectorType} connector revoke` : 'system no longer configured: dies at expiry') }))
  }
  async function openGrants(handle: string): Promise<Grant[]> {
    const now = clock.now()
    return [...(await store.listGrants(handle, 'live')), ...(await store.listGrants(handle, 'pending'))].filter((g) => isOpenAt(g, now))
  }

  /** A binding revoke or removal: the binding changes and its job opens in one store write. */
  async function endBinding(actor: string, handle: string, system: string, reason: string, change: 'revoke' | 'remove'): Promise<Revocation> {
    await mustGetAgent(store, handle)
    const binding = await store.getBinding(handle, system)
    if (binding === undefined) throw new BindingNotFound(handle, system)
    const result = await store.startRevocation(
      { id: randomUUID(), scope: { kind: 'binding', handle, system, bindingId: binding.id }, reason, actor, createdAt: clock.now(), bindingChange: change },
      auditDraft(clock, actor, change === 'revoke' ? 'binding.revoked' : 'binding.removed', handle, { reason, system, binding_id: binding.id }),
    )
    announce(result.revocation)
    return result.revocation
  }

  return {
    cascade,
    async revoke(actor, handle, reason) {
      await mustGetAgent(store, handle)
      const result = await store.startRevocation(
        { id: randomUUID(), scope: { kind: 'agent', handle }, reason, actor, createdAt: clock.now(), statusChange: { status: 'revoked', reason, from: ['active', 'suspended'] } },
        auditDraft(clock, actor, 'agent.revoked', handle, { reason }),
      )
      await publishChanged(deps, result.agent)
      return withTree(actor, 'revoke', reason, result)
    },
    async suspendAndRevokeGrants(actor, handle, reason) {
      await mustGetAgent(store, handle)
      const result = await store.startRevocation(
        { id: randomUUID(), scope: { kind: 'agent', handle }, reason, actor, createdAt: clock.now(), statusChange: { status: 'suspended', reason, from: ['active'] } },
        auditDraft(clock, actor, 'agent.suspended', handle, { reason, revoke_grants: true }),
      )
      await publishChanged(deps, result.agent)
      return withTree(actor, 'suspend-and-revoke', reason, result)
    },
    async revokeGrant(actor, handle, grantId, reason) {
      await mustGetAgent(store, handle)
      const grant = await store.getGrant(handle, grantId)
      if (grant === undefined) throw new GrantNotFound(grantId)
      const result = await store.startRevocation({ id: randomUUID(), scope: { kind: 'grant', handle, grantId }, reason, actor, createdAt: clock.now() }, auditDraft(clock, actor, 'grant.revocation-started', grantId, { reason }))
      return (await started(result)).revocation
    },
    revokeBinding: (actor, handle, system, reason) => endBinding(actor, handle, system, reason, 'revoke'),
    removeBinding: (actor, handle, system, reason) => endBinding(actor, handle, system, reason, 'remove'),
    announce,
    async revokeOwner(actor, ownerInput, reason) {
      // The stored form: `Owner@acme.dev` revokes every agent of owner@acme.dev.
      const normal = normaliseIdentity(ownerInput)
      if ('reason' in normal) throw new RequestInvalid([`owner: ${normal.reason}`])
      const owner = normal.value
      const results: AgentCut[] = []
      for (const status of ['active', 'suspended'] as const) {
        let after: string | undefined
        for (;;) {
          const page = await store.listAgents({ owner, status, limit: 200, ...(after === undefined ? {} : { after }) })
          for (const agent of page) {
            const result = await store.startRevocation(
              { id: randomUUID(), scope: { kind: 'agent', handle: agent.handle }, reason, actor, createdAt: clock.now(), statusChange: { status: 'revoked', reason, from: ['active', 'suspended'] } },
              auditDraft(clock, actor, 'agent.revoked', agent.handle, { reason, owner }),
            )
            await publishChanged(deps, result.agent)
            results.push(await withTree(actor, 'revoke', reason, result))
          }
          if (page.length < 200) break
          after = page.at(-1)?.handle
        }
      }
      return results
    },
    async planRevocation(handle) {
      await mustGetAgent(store, handle)
      // What a revocation would take: pending grants, and live ones not yet expired, of the
      // agent and of every descendant not revoked yet.
      const grants = await openGrants(handle)
      const tree = []
      for (const agent of await descendantsOf(store, handle)) if (agent.status !== 'revoked') tree.push({ handle: agent.handle, status: agent.status, grants: plan(await openGrants(agent.handle)) })
      const lastExpiry = [...grants, ...tree.flatMap((t) => t.grants.map((g) => g.grant))].reduce<Date | undefined>((latest, g) => (g.expiresAt && (!latest || g.expiresAt > latest) ? g.expiresAt : latest), undefined)
      return {
        grants: plan(grants),
        ...(lastExpiry === undefined ? {} : { lastExpiryAt: lastExpiry }),
        ...(tree.length === 0 ? {} : { tree }),
      }
    },
    async receipt(id) {
      const revocation = await store.getRevocation(id)
      if (revocation === undefined) throw new RevocationNotFound(id)
      if (revocation.status !== 'done') throw new RevocationRunning(id)
      // A tree cut's receipt waits for every descendant's job, and lists their grants by handle.
      const tree = await treeJobs(store, revocation)
      if (tree.some((job) => job.status !== 'done')) throw new RevocationRunning(id)
      const grants = new Map<string, Grant>()
      for (const task of [revocation, ...tree].flatMap((job) => job.tasks)) {
        const grant = await store.getGrant(task.handle, task.grantId)
        if (grant) grants.set(grant.id, grant)
      }
      const body = receiptBody(revocation, grants, tree)
      return { token: await signReceipt(deps.keys, deps.issuer, body, clock.now()), body }
    },
    onRevocation(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async getRevocation(id) {
      const revocation = await store.getRevocation(id)
      if (revocation === undefined) throw new RevocationNotFound(id)
      return revocation
    },
    listRevocations: (query) => store.listRevocations(query),
  }
}
