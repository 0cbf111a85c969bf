import { randomUUID } from 'node:crypto'
import type { Agent, AgentKey } from '../agents/agent.js'
import type { AuditDraft } from '../audit/event.js'
import type { Binding } from '../bindings/binding.js'
import type { Grant } from '../exchange/grant.js'
import type { Clock } from '../ports/clock.js'
import type { GrantSettlement, SigningKeyRecord, Store, Webhook, WebhookDelivery } from '../ports/store/index.js'

// Builders for the Store conformance cases. Every handle and id carries this run's prefix, so
// cases stay apart even on a backend shared with other runs (one Redis for many CI jobs).
const run = randomUUID().slice(0, 8)
let sequence = 0

export function uniqueId(prefix: string): string {
  sequence += 1
  return `${prefix}-${run}-${sequence}`
}

export function uniqueHandle(label = 'agent'): string {
  return `${uniqueId(label)}@agents.conformance.test`
}

/** The audit event a use case would write; the store seals it into the chain. */
export function draft(clock: Clock, action: string, target: string, details: Record<string, unknown> = {}): AuditDraft {
  return { at: clock.now(), actor: 'admin:conformance', action, target, outcome: 'success', details }
}

export function newAgent(clock: Clock, overrides: Partial<Agent> = {}): Agent {
  const now = clock.now()
  return {
    handle: uniqueHandle(),
    owner: `${uniqueId('owner')}@acme.test`,
    status: 'active',
    tier: 1,
    generation: 1,
    labels: { team: 'platform', 'cost-centre': '42' },
    createdAt: now,
    updatedAt: now,
    ...overrides,
  }
}

export function newKey(clock: Clock, handle: string, kid = uniqueId('kid')): AgentKey {
  return { handle, kid, alg: 'EdDSA', jwk: { kty: 'OKP', crv: 'Ed25519', x: `x-${kid}` }, createdAt: clock.now() }
}

export function newBinding(clock: Clock, handle: string, system = 'github-acme', overrides: Partial<Binding> = {}): Binding {
  return {
    id: uniqueId('binding'),
    handle,
    system,
    target: { installationId: 42, repositories: ['acme/api'], nested: { deep: [1, 'two', null] } },
    ceiling: ['contents:read', 'issues:write'],
    minTier: 1,
    createdAt: clock.now(),
    status: 'active',
    ...overrides,
  }
}

export function newGrant(clock: Clock, binding: Binding, overrides: Partial<Grant> = {}): Grant {
  return {
    id: uniqueId('grant'),
    handle: binding.handle,
    bindingId: binding.id,
    system: binding.system,
    connectorType: 'github',
    scopes: ['contents:read'],
    status: 'pending',
    createdAt: clock.now(),
    index: {},
    ...overrides,
  }
}

export function liveSettlement(clock: Clock, grantId: string, overrides: Partial<LiveSettlement> = {}): LiveSettlement {
  return {
    status: 'live',
    expiresAt: new Date(clock.now().getTime() + 3_600_000),
    ref: { tokenSha256: `sha-${grantId}`, installationId: 42 },
    index: { github_hashed_token: `hash-${grantId}`, grant_id: grantId },
    ...overrides,
  }
}

export function newSigningKey(clock: Clock, kid = uniqueId('signing')): SigningKeyRecord {
  return { kid, alg: 'EdDSA', publicJwk: { kty: 'OKP', crv: 'Ed25519', x: `x-${kid}`, kid }, sealedPrivateKey: `v1.sealed.${kid}`, createdAt: clock.now() }
}

export function newWebhook(clock: Clock, overrides: Partial<Webhook> = {}): Webhook {
  const id = uniqueId('webhook')
  return { id, url: `https://rp.conformance.test/hooks/${id}`, events: ['revocation.started', 'revocation.finished'], actor: 'admin:conformance', createdAt: clock.now(), ...overrides }
}

/** A fresh pending delivery to `webhook`, due now; its payload is SET-shaped (three base64url parts). */
export function newDelivery(clock: Clock, webhook: Webhook, overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
  const id = uniqueId('delivery')
  return {
    id,
    webhookId: webhook.id,
    url: webhook.url,
    payload: `eyJ0eXAiOiJzZWNldmVudCtqd3QifQ.${Buffer.from(JSON.stringify({ jti: id })).toString('base64url')}.c2ln`,
    createdAt: clock.now(),
    status: 'pending',
    attempts: 0,
    nextAttemptAt: clock.now(),
    ...overrides,
  }
}

/** What one test case works with: its store, its clock and builders bound to both. */
export interface Seeds {
  agent(overrides?: Partial<Agent>): Promise<Agent>
  binding(agent: Agent, system?: string): Promise<Binding>
  /** A grant begun under the agent's current generation, then settled as asked. */
  grant(binding: Binding, settle?: 'pending' | 'live' | 'failed', options?: { on?: Store; live?: Partial<LiveSettlement> }): Promise<Grant>
}

type LiveSettlement = Extract<GrantSettlement, { status: 'live' }>

export function seeds(store: () => Store, clock: Clock): Seeds {
  return {
    async agent(overrides) {
      const agent = newAgent(clock, overrides)
      await store().createAgent(agent, draft(clock, 'agent.created', agent.handle))
      return agent
    },
    async binding(agent, system) {
      const binding = newBinding(clock, agent.handle, system)
      await store().putBinding(binding, draft(clock, 'binding.put', agent.handle))
      return binding
    },
    async grant(binding, settle = 'live', options = {}) {
      const on = options.on ?? store()
      const agent = await on.getAgent(binding.handle)
      if (agent === undefined) throw new Error(`fixture: agent ${binding.handle} is missing`)
      const grant = newGrant(clock, binding)
      await on.beginGrant(grant, agent.generation, draft(clock, 'grant.requested', grant.id))
      if (settle === 'pending') return grant
      const settlement: GrantSettlement = settle === 'live' ? liveSettlement(clock, grant.id, options.live) : { status: 'failed', error: 'upstream refused' }
      return on.settleGrant(binding.handle, grant.id, settlement, draft(clock, `grant.${settle}`, grant.id))
    },
  }
}

/** Actions of the agent's chain, in order: every case checks that each write appended exactly its event. */
export async function auditActions(store: Store, handle: string): Promise<string[]> {
  return (await store.readAudit(handle)).map((event) => event.action)
}

/** Lets other promises run `turns` times: staggers concurrent flows without timers. */
export async function yieldTurns(turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve()
}
