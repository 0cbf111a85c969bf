import { isRevoking } from '@lanyard/core'
import type { Agent, AgentCut, AgentKey, AuditEvent, Binding, Grant, Revocation } from '@lanyard/core'

/** Domain -> JSON: snake_case members, ISO times. The shapes are the public contract. */
const iso = (date: Date | undefined) => date?.toISOString()

export const agentJson = (a: Agent) => ({
  handle: a.handle, owner: a.owner, status: a.status, tier: a.tier, generation: a.generation, labels: a.labels,
  ...(a.statusReason === undefined ? {} : { status_reason: a.statusReason }),
  ...(a.parent === undefined ? {} : { parent: a.parent }), ...(a.expiresAt === undefined ? {} : { expires_at: iso(a.expiresAt) }),
  created_at: iso(a.createdAt), updated_at: iso(a.updatedAt),
})

export const keyJson = (k: AgentKey) => ({ kid: k.kid, alg: k.alg, created_at: iso(k.createdAt) })

export const bindingJson = (b: Binding) => ({
  id: b.id, system: b.system, target: b.target, ceiling: b.ceiling, min_tier: b.minTier, created_at: iso(b.createdAt),
  ...(b.approval === undefined ? {} : { approval: { scopes: b.approval.scopes, approvers: b.approval.approvers, ttl_seconds: b.approval.ttlSeconds, ...(b.approval.belowTier === undefined ? {} : { below_tier: b.approval.belowTier }) } }),
  ...(b.delegable === true ? { delegable: true } : {}),
  status: b.status ?? 'active', ...(b.revokedAt === undefined ? {} : { revoked_at: iso(b.revokedAt) }),
})

export const grantJson = (g: Grant) => ({
  id: g.id, system: g.system, scopes: g.scopes, status: g.status, created_at: iso(g.createdAt),
  expires_at: iso(g.expiresAt), ended_at: iso(g.endedAt), index: g.index, ...(g.error === undefined ? {} : { error: g.error }),
  ...(g.approval === undefined ? {} : { approval: { id: g.approval.id, approved_by: g.approval.by } }),
})

export const revocationJson = (r: Revocation) => ({
  id: r.id, scope: r.scope, reason: r.reason, actor: r.actor, status: r.status, created_at: iso(r.createdAt), finished_at: iso(r.finishedAt),
  tasks: r.tasks.map((t) => ({
    handle: t.handle, grant_id: t.grantId, system: t.system, status: t.status, attempts: t.attempts,
    ...(t.lastError === undefined ? {} : { last_error: t.lastError }),
    ...(t.outcome === undefined ? {} : { outcome: t.outcome.kind === 'unrevocable-until' ? { kind: t.outcome.kind, until: iso(t.outcome.until) } : t.outcome }),
    ...(isRevoking(t) ? { outcome: { kind: 'revoking' } } : {}),
  })),
})

export const auditJson = (e: AuditEvent) => ({
  seq: e.seq, prev_hash: e.prevHash, hash: e.hash, at: iso(e.at), actor: e.actor, action: e.action, target: e.target, outcome: e.outcome, details: e.details,
})

/** An agent's cut (revoke, suspend with revoke_grants): its job, and each descendant's (#17). */
export const agentCutJson = (cut: AgentCut) => ({
  revocation: revocationJson(cut.revocation), agent: agentJson(cut.agent),
  ...(cut.tree === undefined ? {} : { tree: cut.tree.map((t) => ({ agent: agentJson(t.agent), ...(t.revocation === undefined ? {} : { revocation: revocationJson(t.revocation) }) })) }),
})
