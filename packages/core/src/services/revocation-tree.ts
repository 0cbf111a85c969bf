import { createHash } from 'node:crypto'
import { AgentNotActive, AgentNotFound } from '../errors.js'
import type { Agent, AgentStatus } from '../agents/agent.js'
import type { Clock } from '../ports/clock.js'
import type { Logger } from '../ports/connector.js'
import type { EventBus } from '../ports/event-bus.js'
import type { AgentStore, RevocationStore } from '../ports/store/index.js'
import type { Revocation } from '../revocation/revocation.js'
import { auditDraft, publishChanged } from './context.js'

/** How a cut reaches the tree: revoke (terminal), suspend, or suspend and revoke every grant. */
export type TreeCutMode = 'revoke' | 'suspend' | 'suspend-and-revoke'

/** One descendant cut with its root: the agent after, and its job when the mode opens one. */
export interface TreeCut {
  readonly agent: Agent
  readonly revocation?: Revocation
}

/**
 * The job id of `handle`'s part of the cut whose root job is `rootId`: derived, not stored, so
 * the root's receipt finds every descendant's job by walking the tree again (UUID-shaped,
 * SHA-256 of both; the same inputs always give the same id, so a repeated cut cannot open two).
 */
export function treeJobId(rootId: string, handle: string): string {
  const hex = createHash('sha256').update(`lanyard tree cut v1\u0000${rootId}\u0000${handle}`).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

export interface TreeDeps {
  readonly store: AgentStore & RevocationStore
  readonly bus: EventBus
  readonly clock: Clock
  readonly log: Logger
  readonly announce: (revocation: Revocation) => void
}

/** Every descendant of `root`, parents before children (breadth first), whatever their status. */
export async function descendantsOf(store: AgentStore, root: string): Promise<Agent[]> {
  const found: Agent[] = []
  const queue = [root]
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    let after: string | undefined
    for (;;) {
      const page = await store.listAgents({ parent: next, limit: 200, ...(after === undefined ? {} : { after }) })
      for (const child of page) {
        found.push(child)
        queue.push(child.handle)
      }
      if (page.length < 200) break
      after = page.at(-1)?.handle
    }
  }
  return found
}

/**
 * Cuts every descendant of `root` the way `root` was cut, each in its own atomic write (status,
 * generation, its own job and audit event naming the root), before the caller answers: from the
 * root's 202 on, every descendant's status already refuses grants in the store write that would
 * record one. A descendant already revoked (or, for a suspend, not active) is left as it is; one
 * being spawned at this moment is cut by its own spawn, which re-reads its parent after commit.
 * `rootJobId`: the root's job, from which each descendant's job id derives (treeJobId).
 */
export async function cutTree(deps: TreeDeps, actor: string, root: string, mode: TreeCutMode, reason: string, rootJobId?: string): Promise<TreeCut[]> {
  const { store, clock } = deps
  const cuts: TreeCut[] = []
  const from: AgentStatus[] = mode === 'revoke' ? ['active', 'suspended'] : ['active']
  for (const agent of await descendantsOf(store, root)) {
    if (!from.includes(agent.status)) continue
    const details = { reason, cascade_from: root, ...(rootJobId === undefined ? {} : { root_revocation: rootJobId }) }
    try {
      if (mode === 'suspend') {
        const after = await store.changeAgentStatus(agent.handle, { status: 'suspended', reason, from }, auditDraft(clock, actor, 'agent.suspended', agent.handle, details))
        cuts.push({ agent: await publishChanged(deps, after) })
        continue
      }
      const status = mode === 'revoke' ? 'revoked' : 'suspended'
      const id = treeJobId(rootJobId ?? root, agent.handle)
      const result = await store.startRevocation(
        { id, scope: { kind: 'agent', handle: agent.handle, ...(rootJobId === undefined ? {} : { tree: rootJobId }) }, reason, actor, createdAt: clock.now(), statusChange: { status, reason, from } },
        auditDraft(clock, actor, mode === 'revoke' ? 'agent.revoked' : 'agent.suspended', agent.handle, { ...details, ...(mode === 'suspend-and-revoke' ? { revoke_grants: true } : {}) }),
      )
      await publishChanged(deps, result.agent)
      deps.announce(result.revocation)
      cuts.push(result)
    } catch (error) {
      // Cut meanwhile by someone else (another replica's cascade, an admin): already as wanted.
      if (error instanceof AgentNotActive || error instanceof AgentNotFound) continue
      throw error
    }
  }
  return cuts
}

/** The jobs of a tree cut whose root job is `root`, descendants only, as they stand. */
export async function treeJobs(store: AgentStore & RevocationStore, root: Revocation): Promise<Revocation[]> {
  if (root.scope.kind !== 'agent') return []
  const jobs: Revocation[] = []
  for (const agent of await descendantsOf(store, root.scope.handle)) {
    const job = await store.getRevocation(treeJobId(root.id, agent.handle))
    if (job !== undefined) jobs.push(job)
  }
  return jobs
}
