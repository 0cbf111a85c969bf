import { randomUUID } from 'node:crypto'
import { RateLimited, AgentNotActive, AgentNotFound, BindingInvalid, BindingNotFound, GrantNotFound, RequestInvalid, RevocationNotFound, RevocationRunning, SystemUnknown, TokenInvalid, isLanyardError } from './errors.js'
import type { Agent, AgentKey, AgentStatus, TrustTier } from './agents/agent.js'
import { createAgentReader, type AgentReader } from './agents/agent-reader.js'
import { parseHandle } from './agents/handle.js'
import { normaliseIdentity } from './agents/identity-string.js'
import { parseAgentKey } from './agents/keys.js'
import { authenticate, type Authenticated } from './auth/authenticate.js'
import { verifyAuditChain, type ChainVerdict } from './audit/chain.js'
import type { AuditDraft, AuditEvent } from './audit/event.js'
import type { Binding } from './bindings/binding.js'
import type { Sealer } from './crypto/sealer.js'
import type { Systems } from './exchange/connectors.js'
import { exchange, type Exchanged, type ExchangeRequest } from './exchange/exchange.js'
import { isOpenAt, type Grant, type GrantStatus } from './exchange/grant.js'
import type { Clock } from './ports/clock.js'
import type { Logger } from './ports/connector.js'
import { validateStandard } from './ports/standard-schema.js'
import type { EventBus } from './ports/event-bus.js'
import type { RateLimiter, RatePolicy } from './ports/rate-limiter.js'
import type { AgentFilter, Store } from './ports/store.js'
import { createCascadeWorker, type CascadeSettings, type CascadeWorker } from './revocation/cascade.js'
import type { Revocation, RevocationEvent } from './revocation/revocation.js'
import { receiptBody, signReceipt, type ReceiptBody } from './revocation/receipt.js'
import { createHandleTokens, type HandleTokenClaims, type HandleTokens } from './tokens/handle-token.js'
import type { KeyRing } from './tokens/key-ring.js'

export interface LanyardSettings {
  readonly issuer: string
  /** Per agent. Refusals are RateLimited (429 with Retry-After). */
  readonly rateLimits: { readonly exchange: RatePolicy; readonly authenticate: RatePolicy }
  readonly handleTokenTtlSeconds: number
  readonly maxCredentialTtlSeconds: number
  readonly upstreamTimeoutMs: number
  readonly agentCacheMs: number
  readonly cascade: CascadeSettings
}

export interface LanyardDeps {
  readonly store: Store
  readonly bus: EventBus
  readonly clock: Clock
  readonly sealer: Sealer
  readonly keys: KeyRing
  readonly systems: Systems
  readonly limiter: RateLimiter
  readonly log: Logger
  /** Names this replica in task leases. */
  readonly replicaId: string
  readonly settings: LanyardSettings
}

export interface NewAgent {
  readonly handle: string
  readonly owner: string
  readonly tier?: TrustTier
  readonly labels?: Record<string, string>
}

export interface NewBinding {
  readonly system: string
  readonly target: unknown
  readonly ceiling: readonly string[]
  readonly minTier?: number
}

/** A dry run: what a revocation would cut, how, and when the last credential would be dead. */
export interface RevocationPlan {
  readonly grants: ReadonlyArray<{ readonly grant: Grant; readonly mechanism: string }>
  /** The latest expiry among them: the worst case if no upstream revoked anything. */
  readonly lastExpiryAt?: Date
}

export interface Introspection {
  readonly active: boolean
  readonly claims?: HandleTokenClaims
}

/** The use cases, composed from ports. Apps call these; nothing else touches the store. */
export interface Lanyard {
  readonly settings: LanyardSettings
  readonly keys: KeyRing
  readonly cascade: CascadeWorker
  createAgent(actor: string, input: NewAgent): Promise<Agent>
  getAgent(handle: string): Promise<Agent>
  listAgents(filter?: AgentFilter): Promise<Agent[]>
  listKeys(handle: string): Promise<AgentKey[]>
  addKey(actor: string, handle: string, jwk: unknown): Promise<AgentKey>
  bind(actor: string, handle: string, input: NewBinding): Promise<Binding>
  listBindings(handle: string): Promise<Binding[]>
  listGrants(handle: string, status?: GrantStatus): Promise<Grant[]>
  suspend(actor: string, handle: string, reason: string): Promise<Agent>
  resume(actor: string, handle: string, reason: string): Promise<Agent>
  /** Terminal. Once this returns, no replica records a grant for the agent; the job is durable. */
  revoke(actor: string, handle: string, reason: string): Promise<{ revocation: Revocation; agent: Agent }>
  /** Suspends (reversible) and cuts every live grant, in one write. */
  suspendAndRevokeGrants(actor: string, handle: string, reason: string): Promise<{ revocation: Revocation; agent: Agent }>
  /** Revokes one grant; the agent stays active. */
  revokeGrant(actor: string, handle: string, grantId: string, reason: string): Promise<Revocation>
  /** Revokes every live grant made through the agent's binding to `system`. */
  revokeBinding(actor: string, handle: string, system: string, reason: string): Promise<Revocation>
  /** A person leaves: revokes every agent they own that is not revoked yet, one job per agent. */
  revokeOwner(actor: string, owner: string, reason: string): Promise<Array<{ revocation: Revocation; agent: Agent }>>
  /** What revoking the agent would do, without doing it. */
  planRevocation(handle: string): Promise<RevocationPlan>
  /** The signed receipt of a finished revocation (RevocationRunning before that). */
  receipt(id: string): Promise<{ token: string; body: ReceiptBody }>
  /** Revocation jobs started and finished, for webhooks. Returns an unsubscribe function. */
  onRevocation(listener: (event: RevocationEvent) => void): () => void
  getRevocation(id: string): Promise<Revocation>
  readAudit(handle: string, options?: { afterSeq?: number; limit?: number }): Promise<AuditEvent[]>
  verifyAudit(handle: string): Promise<ChainVerdict>
  whois(key: string, value: string): Promise<Array<{ agent: Agent; grant: Grant }>>
  authenticate(assertion: string): Promise<Authenticated>
  exchange(request: ExchangeRequest): Promise<Exchanged>
  introspect(token: string): Promise<Introspection>
  /** RFC 7009 for handle tokens: idempotent, silent on tokens it does not know. */
  revokeToken(token: string): Promise<void>
  /** Grants left `pending` by a crash: marked failed and reported (the upstream ref is unknown). */
  reconcile(olderThanMs: number): Promise<Grant[]>
  close(): Promise<void>
}

const emailLike = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

export function createLanyard(deps: LanyardDeps): Lanyard {
  const { store, bus, clock, systems, settings } = deps
  const agents: AgentReader = createAgentReader({ store, bus, clock, maxAgeMs: settings.agentCacheMs })
  const tokens: HandleTokens = createHandleTokens({ keys: deps.keys, clock, issuer: settings.issuer, ttlSeconds: settings.handleTokenTtlSeconds })
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
    store, systems, sealer: deps.sealer, clock, log: deps.log, owner: deps.replicaId, settings: settings.cascade,
    onFinished: (revocation) => emit({ type: 'revocation.finished', revocation }),
  })

  /** Opens a job, tells listeners, wakes the cascade. A job with no task is born finished. */
  async function started(result: { revocation: Revocation; agent: Agent }): Promise<{ revocation: Revocation; agent: Agent }> {
    emit({ type: 'revocation.started', revocation: result.revocation })
    if (result.revocation.status === 'done') emit({ type: 'revocation.finished', revocation: result.revocation })
    else cascade.wake()
    return result
  }

  async function limit(key: string, policy: RatePolicy): Promise<void> {
    const decision = await deps.limiter.take(key, policy)
    if (!decision.allowed) throw new RateLimited(decision.retryAfterSeconds)
  }

  function audit(actor: string, action: string, target: string, details: Record<string, unknown> = {}): AuditDraft {
    return { at: clock.now(), actor, action, target, outcome: 'success', details }
  }

  async function mustGetAgent(handle: string): Promise<Agent> {
    const agent = await store.getAgent(parseHandle(handle))
    if (agent === undefined) throw new AgentNotFound(handle)
    return agent
  }

  async function changed(agent: Agent): Promise<Agent> {
    // Best effort: caches elsewhere expire or read through; correctness never waits on the bus.
    await bus.publish({ type: 'agent.changed', handle: agent.handle, status: agent.status, generation: agent.generation }).catch((error: unknown) => deps.log.warn({ handle: agent.handle, err: String(error) }, 'agent change not published; other replicas read through'))
    return agent
  }

  async function changeStatus(actor: string, handle: string, status: AgentStatus, from: AgentStatus[], action: string, reason: string): Promise<Agent> {
    await mustGetAgent(handle)
    const agent = await store.changeAgentStatus(handle, { status, reason, from }, audit(actor, action, handle, { reason }))
    return changed(agent)
  }

  return {
    settings,
    keys: deps.keys,
    cascade,
    async createAgent(actor, input) {
      const handle = parseHandle(input.handle)
      const issues: string[] = []
      const owner = typeof input.owner === 'string' ? normaliseIdentity(input.owner) : { reason: 'expected an email address' }
      if ('reason' in owner) issues.push(`owner: ${owner.reason}`)
      else if (!emailLike.test(owner.value)) issues.push('owner: expected an email address')
      if (input.tier !== undefined && ![0, 1, 2, 3].includes(input.tier)) issues.push('tier: expected 0, 1, 2 or 3')
      if (issues.length > 0) throw new RequestInvalid(issues)
      const now = clock.now()
      const agent: Agent = { handle, owner: 'value' in owner ? owner.value : input.owner, status: 'active', tier: input.tier ?? 0, generation: 1, labels: { ...input.labels }, createdAt: now, updatedAt: now }
      await store.createAgent(agent, audit(actor, 'agent.created', handle, { owner: agent.owner, tier: agent.tier, labels: agent.labels }))
      return agent
    },
    getAgent: mustGetAgent,
    listAgents(filter) {
      // Filtered by the stored form of the owner, like revokeOwner.
      if (filter?.owner === undefined) return store.listAgents(filter)
      const normal = normaliseIdentity(filter.owner)
      return 'reason' in normal ? Promise.resolve([]) : store.listAgents({ ...filter, owner: normal.value })
    },
    async listKeys(handle) {
      await mustGetAgent(handle)
      return store.listKeys(handle)
    },
    async addKey(actor, handle, jwk) {
      const agent = await mustGetAgent(handle)
      if (agent.status === 'revoked') throw new AgentNotActive(handle, agent.status)
      const key = await parseAgentKey(agent.handle, jwk, clock.now())
      await store.addKey(key, audit(actor, 'key.added', agent.handle, { kid: key.kid, alg: key.alg }))
      return key
    },
    async bind(actor, handle, input) {
      const agent = await mustGetAgent(handle)
      const system = systems.get(input.system)
      if (system === undefined) throw new SystemUnknown(input.system)
      if (!Array.isArray(input.ceiling) || input.ceiling.length === 0 || !input.ceiling.every((s) => typeof s === 'string')) throw new RequestInvalid(['ceiling: expected a non-empty array of scope strings'])
      for (const scope of input.ceiling) if (!system.definition.scopes.isKnown(scope)) throw new BindingInvalid(`scope "${scope}" is not known to system "${system.name}"`)
      const parsed = await validateStandard(system.definition.target, input.target, 'target')
      if ('issues' in parsed) throw new RequestInvalid(parsed.issues)
      let target: unknown
      try {
        target = await system.instance.validateBinding(parsed.value, input.ceiling, AbortSignal.timeout(settings.upstreamTimeoutMs))
      } catch (error) {
        // A refused binding (no such installation, a key that does not match the App) is on the record.
        if (isLanyardError(error)) {
          await store
            .appendAudit(agent.handle, { ...audit(actor, 'binding.refused', agent.handle, { system: system.name, code: error.code, reason: error.message }), outcome: 'failure' })
            .catch((auditError: unknown) => deps.log.warn({ handle: agent.handle, err: String(auditError) }, 'refused binding could not be audited'))
        }
        throw error
      }
      const binding: Binding = { id: randomUUID(), handle: agent.handle, system: system.name, target, ceiling: [...input.ceiling], minTier: input.minTier ?? 0, createdAt: clock.now() }
      await store.putBinding(binding, audit(actor, 'binding.put', agent.handle, { system: system.name, binding_id: binding.id, ceiling: binding.ceiling, min_tier: binding.minTier }))
      return binding
    },
    async listBindings(handle) {
      await mustGetAgent(handle)
      return store.listBindings(handle)
    },
    async listGrants(handle, status) {
      await mustGetAgent(handle)
      return store.listGrants(handle, status)
    },
    suspend: (actor, handle, reason) => changeStatus(actor, handle, 'suspended', ['active'], 'agent.suspended', reason),
    resume: (actor, handle, reason) => changeStatus(actor, handle, 'active', ['suspended'], 'agent.resumed', reason),
    async revoke(actor, handle, reason) {
      await mustGetAgent(handle)
      const result = await store.startRevocation(
        { id: randomUUID(), scope: { kind: 'agent', handle }, reason, actor, createdAt: clock.now(), statusChange: { status: 'revoked', reason, from: ['active', 'suspended'] } },
        audit(actor, 'agent.revoked', handle, { reason }),
      )
      await changed(result.agent)
      return started(result)
    },
    async suspendAndRevokeGrants(actor, handle, reason) {
      await mustGetAgent(handle)
      const result = await store.startRevocation(
        { id: randomUUID(), scope: { kind: 'agent', handle }, reason, actor, createdAt: clock.now(), statusChange: { status: 'suspended', reason, from: ['active'] } },
        audit(actor, 'agent.suspended', handle, { reason, revoke_grants: true }),
      )
      await changed(result.agent)
      return started(result)
    },
    async revokeGrant(actor, handle, grantId, reason) {
      await mustGetAgent(handle)
      const grant = await store.getGrant(handle, grantId)
      if (grant === undefined) throw new GrantNotFound(grantId)
      const result = await store.startRevocation({ id: randomUUID(), scope: { kind: 'grant', handle, grantId }, reason, actor, createdAt: clock.now() }, audit(actor, 'grant.revocation-started', grantId, { reason }))
      return (await started(result)).revocation
    },
    async revokeBinding(actor, handle, system, reason) {
      await mustGetAgent(handle)
      const binding = await store.getBinding(handle, system)
      if (binding === undefined) throw new BindingNotFound(handle, system)
      const result = await store.startRevocation(
        { id: randomUUID(), scope: { kind: 'binding', handle, bindingId: binding.id }, reason, actor, createdAt: clock.now() },
        audit(actor, 'binding.revocation-started', handle, { reason, system, binding_id: binding.id }),
      )
      return (await started(result)).revocation
    },
    async revokeOwner(actor, ownerInput, reason) {
      // The stored form: `Owner@acme.dev` revokes every agent of owner@acme.dev.
      const normal = normaliseIdentity(ownerInput)
      if ('reason' in normal) throw new RequestInvalid([`owner: ${normal.reason}`])
      const owner = normal.value
      const results: Array<{ revocation: Revocation; agent: Agent }> = []
      for (const status of ['active', 'suspended'] as const) {
        let after: string | undefined
        for (;;) {
          const page = await store.listAgents({ owner, status, limit: 200, ...(after === undefined ? {} : { after }) })
          for (const agent of page) {
            const result = await store.startRevocation(
              { id: randomUUID(), scope: { kind: 'agent', handle: agent.handle }, reason, actor, createdAt: clock.now(), statusChange: { status: 'revoked', reason, from: ['active', 'suspended'] } },
              audit(actor, 'agent.revoked', agent.handle, { reason, owner }),
            )
            await changed(result.agent)
            results.push(await started(result))
          }
          if (page.length < 200) break
          after = page.at(-1)?.handle
        }
      }
      return results
    },
    async planRevocation(handle) {
      await mustGetAgent(handle)
      // What a revocation would take: pending grants, and live ones not yet expired.
      const now = clock.now()
      const grants = [...(await store.listGrants(handle, 'live')), ...(await store.listGrants(handle, 'pending'))].filter((g) => isOpenAt(g, now))
      const lastExpiry = grants.reduce<Date | undefined>((latest, g) => (g.expiresAt && (!latest || g.expiresAt > latest) ? g.expiresAt : latest), undefined)
      return {
        grants: grants.map((grant) => ({ grant, mechanism: systems.get(grant.system)?.definition.revocationMechanism ?? (systems.has(grant.system) ? `${grant.connectorType} connector revoke` : 'system no longer configured: dies at expiry') })),
        ...(lastExpiry === undefined ? {} : { lastExpiryAt: lastExpiry }),
      }
    },
    async receipt(id) {
      const revocation = await store.getRevocation(id)
      if (revocation === undefined) throw new RevocationNotFound(id)
      if (revocation.status !== 'done') throw new RevocationRunning(id)
      const grants = new Map<string, Grant>()
      for (const task of revocation.tasks) {
        const grant = await store.getGrant(task.handle, task.grantId)
        if (grant) grants.set(grant.id, grant)
      }
      const body = receiptBody(revocation, grants)
      return { token: await signReceipt(deps.keys, settings.issuer, body, clock.now()), body }
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
    async readAudit(handle, options) {
      await mustGetAgent(handle)
      return store.readAudit(handle, options)
    },
    async verifyAudit(handle) {
      await mustGetAgent(handle)
      return verifyAuditChain(await store.readAudit(handle))
    },
    async whois(key, value) {
      const grants = await store.findGrants(key, value)
      const found: Array<{ agent: Agent; grant: Grant }> = []
      for (const grant of grants) {
        const agent = await store.getAgent(grant.handle)
        if (agent) found.push({ agent, grant })
      }
      return found
    },
    authenticate: (assertion) => authenticate({ store, agents, tokens, clock, issuer: settings.issuer, limit: (handle) => limit(`authenticate:${handle}`, settings.rateLimits.authenticate) }, assertion),
    exchange: (request) =>
      exchange(
        { store, agents, tokens, systems, sealer: deps.sealer, clock, log: deps.log, maxCredentialTtlSeconds: settings.maxCredentialTtlSeconds, upstreamTimeoutMs: settings.upstreamTimeoutMs, limit: (handle) => limit(`exchange:${handle}`, settings.rateLimits.exchange) },
        request,
      ),
    async introspect(token) {
      let claims: HandleTokenClaims
      try {
        claims = await tokens.verify(token)
      } catch (error) {
        if (error instanceof TokenInvalid) return { active: false }
        throw error
      }
      if (await store.isTokenRevoked(claims.jti, clock.now())) return { active: false }
      const agent = await agents.fresh(claims.handle)
      if (agent === undefined || agent.status !== 'active' || agent.generation !== claims.generation) return { active: false }
      return { active: true, claims }
    },
    async revokeToken(token) {
      try {
        const claims = await tokens.verify(token)
        await store.revokeToken(claims.jti, claims.expiresAt)
        await store.appendAudit(claims.handle, audit(`agent:${claims.handle}`, 'token.revoked', claims.jti))
      } catch (error) {
        if (!isLanyardError(error) || error.code !== 'ERR_TOKEN_INVALID') throw error
      }
    },
    async reconcile(olderThanMs) {
      const stale = await store.listPendingGrants(new Date(clock.now().getTime() - olderThanMs))
      const settled: Grant[] = []
      for (const grant of stale) {
        const error = 'interrupted before the upstream answered; its upstream state is unknown'
        deps.log.warn({ grant_id: grant.id, handle: grant.handle, system: grant.system }, 'reconciling a grant left pending by a crash')
        settled.push(
          await store.settleGrant(grant.handle, grant.id, { status: 'failed', error }, { at: clock.now(), actor: 'system', action: 'grant.reconciled', target: grant.id, outcome: 'failure', details: { system: grant.system, error } }),
        )
      }
      return settled
    },
    async close() {
      await cascade.stop()
      agents.close()
      await Promise.allSettled([...systems.values()].map((s) => s.instance.close?.()))
    },
  }
}

