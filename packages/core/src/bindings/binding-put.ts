import { AgentNotActive, BindingNotFound, BindingRevoked } from '../errors.js'
import type { Agent } from '../agents/agent.js'
import { canonicalJson } from '../audit/chain.js'
import { isOpenAt, type Grant } from '../exchange/grant.js'
import type { AuditDraft } from '../audit/event.js'
import type { Binding } from './binding.js'

/** What putting `next` does, worked out inside the store's write from what it read there. */
export interface BindingPutPlan {
  /** `binding.created` when there was no active binding (none, or a revoked one), else `binding.replaced`. */
  readonly action: 'binding.created' | 'binding.replaced'
  /** Open grants of the agent on this system that `next` does not cover: the store opens one revocation job for them. */
  readonly cut: readonly Grant[]
}

/**
 * Decides a binding put; both stores call it inside the write that commits it, so an exchange
 * cannot slip a grant between the decision and the write.
 *
 * A revoked agent gets no binding (AgentNotActive): a revoked handle is final. `open` is every
 * grant of the agent on `next.system` (any binding version); those still open at `at` are cut
 * unless `next` covers them: the same target as the active binding it replaces, a minimum tier
 * the agent meets, and scopes inside the new ceiling (`covers`: by the connector's narrowing
 * rules; absent, item by item). A new binding (none before, or a revoked
 * one) covers nothing that is still open: it starts clean.
 */
export function planBindingPut(agent: Agent, previous: Binding | undefined, next: Binding, open: readonly Grant[], at: Date, covers?: (scopes: readonly string[]) => boolean): BindingPutPlan {
  if (agent.status === 'revoked') throw new AgentNotActive(agent.handle, agent.status)
  const replacing = previous !== undefined && previous.status === 'active'
  const sameTarget = replacing && canonicalJson(previous.target) === canonicalJson(next.target)
  const ceiling = new Set(next.ceiling)
  const inCeiling = covers ?? ((scopes: readonly string[]) => scopes.every((scope) => ceiling.has(scope)))
  const covered = (grant: Grant) => sameTarget && agent.tier >= next.minTier && inCeiling(grant.scopes)
  const cut = open.filter((grant) => grant.system === next.system && isOpenAt(grant, at) && !covered(grant))
  return { action: replacing ? 'binding.replaced' : 'binding.created', cut }
}

/**
 * The binding check of `beginGrant`, inside the write that records the grant: the binding the
 * exchange read must still be the agent's active binding to that system. Absent:
 * BindingNotFound; revoked: BindingRevoked `revoked`; another version: BindingRevoked `replaced`.
 */
export function checkGrantBinding(grant: Grant, current: Binding | undefined): void {
  if (current === undefined) throw new BindingNotFound(grant.handle, grant.system)
  if (current.status === 'revoked') throw new BindingRevoked(grant.handle, grant.system, 'revoked')
  if (current.id !== grant.bindingId) throw new BindingRevoked(grant.handle, grant.system, 'replaced')
}

/** The put's audit event: the plan's action, and the job it opened when it cut. */
export function bindingPutAudit(audit: AuditDraft, plan: BindingPutPlan, revocationId: string): AuditDraft {
  const cut = plan.cut.length > 0 ? { revocation_id: revocationId, revoked_grants: plan.cut.length } : {}
  return { ...audit, action: plan.action, details: { ...audit.details, ...cut } }
}

/** The job a put opens for what it cuts: its id is the new binding's (fresh for every put). */
export function bindingCutStart(binding: Binding, audit: AuditDraft, reason = 'binding replaced: open grants it does not cover') {
  return { id: binding.id, scope: { kind: 'binding' as const, handle: binding.handle, system: binding.system, bindingId: binding.id }, reason, actor: audit.actor, createdAt: audit.at }
}
