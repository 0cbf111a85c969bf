import { randomUUID } from 'node:crypto'
import { AgentNotActive, TrustRuleNotFound } from '../errors.js'
import type { FederationIssuer } from '../auth/federated.js'
import { parseTrustRule, type TrustRule } from '../auth/trust-rule.js'
import type { Clock } from '../ports/clock.js'
import type { AgentStore, AuditStore, TrustRuleStore } from '../ports/store/index.js'
import { auditDraft, mustGetAgent } from './context.js'

/** Which platform tokens sign in as an agent (#16): trust rules, records of the agent. */
export interface TrustService {
  /** Adds a trust rule: platform tokens meeting it sign in as the agent. IssuerUnknown for an unconfigured issuer. Audited. */
  addTrustRule(actor: string, handle: string, input: unknown): Promise<TrustRule>
  listTrustRules(handle: string): Promise<TrustRule[]>
  /** TrustRuleNotFound when the agent has no such rule. Audited. */
  deleteTrustRule(actor: string, handle: string, id: string): Promise<void>
}

export function createTrustService(deps: { store: AgentStore & AuditStore & TrustRuleStore; clock: Clock; issuers: readonly FederationIssuer[] }): TrustService {
  const { store, clock } = deps
  const configured = new Set(deps.issuers.map((i) => i.issuer))
  return {
    async addTrustRule(actor, handle, input) {
      const agent = await mustGetAgent(store, handle)
      if (agent.status === 'revoked') throw new AgentNotActive(handle, agent.status)
      const parsed = parseTrustRule(input, configured)
      const rule: TrustRule = { id: randomUUID(), handle: agent.handle, issuer: parsed.issuer, audience: parsed.audience, subject: parsed.subject, claims: parsed.claims ?? {}, ...(parsed.shape === undefined ? {} : { shape: parsed.shape }), createdAt: clock.now() }
      await store.putTrustRule(rule, auditDraft(clock, actor, 'trust.added', agent.handle, { rule_id: rule.id, issuer: rule.issuer, audience: rule.audience, subject: rule.subject, claims: rule.claims, ...(rule.shape === undefined ? {} : { shape: rule.shape }) }))
      return rule
    },
    async listTrustRules(handle) {
      const agent = await mustGetAgent(store, handle)
      return store.listTrustRules(agent.handle)
    },
    async deleteTrustRule(actor, handle, id) {
      const agent = await mustGetAgent(store, handle)
      const rule = (await store.listTrustRules(agent.handle)).find((r) => r.id === id)
      if (rule === undefined) throw new TrustRuleNotFound(id)
      if (!(await store.deleteTrustRule(agent.handle, id, auditDraft(clock, actor, 'trust.removed', agent.handle, { rule_id: id, issuer: rule.issuer, subject: rule.subject })))) throw new TrustRuleNotFound(id)
    },
  }
}
