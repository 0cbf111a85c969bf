import { createAgentReader } from './agents/agent-reader.js'
import type { DpopNonces } from './auth/dpop.js'
import type { FederationIssuer, IssuerKeys } from './auth/federated.js'
import type { Sealer } from './crypto/sealer.js'
import type { Systems } from './exchange/connectors.js'
import type { Clock } from './ports/clock.js'
import type { Logger } from './ports/connector.js'
import type { EventBus } from './ports/event-bus.js'
import type { RateLimiter, RatePolicy } from './ports/rate-limiter.js'
import type { Store } from './ports/store/index.js'
import type { CascadeSettings } from './revocation/cascade.js'
import { createAdminService, type AdminService } from './services/admins.js'
import { createAgentService, type AgentService } from './services/agents.js'
import { createApprovalService, type ApprovalService } from './services/approvals.js'
import { createAuditService, type AuditService } from './services/audit.js'
import { createCheckpointService, type CheckpointService } from './services/checkpoints.js'
import { createDelegationService, defaultDelegationSettings, type DelegationService, type DelegationSettings } from './services/delegation.js'
import { createBindingService, type BindingService } from './services/bindings.js'
import { createGrantService, type GrantService } from './services/grants.js'
import { createPresenceService, type PresenceService, type PresenceSettings } from './services/presence.js'
import { createRevocationService, type RevocationService } from './services/revocations.js'
import { cutTree } from './services/revocation-tree.js'
import { createTierService, defaultTrustPolicy, type TierService } from './services/tiers.js'
import { createTokenService, type TokenService } from './services/tokens.js'
import type { TrustPolicy } from './tiers/tier-record.js'
import { createTrustService, type TrustService } from './services/trust.js'
import { createWebhookService, type WebhookService } from './services/webhooks.js'
import { createHandleTokens } from './tokens/handle-token.js'
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
  /** Approvals (#15): the poll `interval` agents are told, the longest long-poll. */
  readonly approvals?: { readonly pollIntervalSeconds: number; readonly maxWaitSeconds: number }
  /** Earned trust (#15): the ladder, incident rules and per-tier caps. */
  readonly trust?: TrustPolicy
  /** Refuse unbound handle tokens for every agent (RFC 9449); per agent, the `require-dpop` label. */
  readonly requireDpop?: boolean
  readonly presence: PresenceSettings
  /** Sub-agents (#17); absent: depth 3, 100 live children per agent. */
  readonly delegation?: DelegationSettings
}

/** Platform issuers whose tokens agents may sign in with, and the port that fetches their keys. */
export interface FederationDeps {
  readonly issuers: readonly FederationIssuer[]
  readonly keys: IssuerKeys
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
  readonly federation?: FederationDeps
  /** Present: DPoP proofs must carry a broker nonce (`use_dpop_nonce` until they do). */
  readonly dpopNonces?: DpopNonces
}

/**
 * The use cases, composed from ports: one service per area (services/<area>.ts), summed into
 * one object. Apps call these; nothing else touches the store.
 */
export type Lanyard = AgentService &
  BindingService &
  GrantService &
  RevocationService &
  AuditService &
  CheckpointService &
  TokenService &
  TrustService &
  PresenceService &
  ApprovalService &
  TierService &
  AdminService &
  DelegationService & {
    readonly settings: LanyardSettings
    readonly keys: KeyRing
    /** Webhook subscriptions, the revocation outbox and deliveries, for the broker's webhook module. */
    readonly webhooks: WebhookService
    close(): Promise<void>
  }

/** Wires every service over one store; each gets only the store areas it uses. */
export function createLanyard(deps: LanyardDeps): Lanyard {
  const { store, bus, clock, systems, settings, log } = deps
  const agents = createAgentReader({ store, bus, clock, maxAgeMs: settings.agentCacheMs })
  const tokens = createHandleTokens({ keys: deps.keys, clock, issuer: settings.issuer, ttlSeconds: settings.handleTokenTtlSeconds })
  const revocations = createRevocationService({
    store, bus, clock, log, systems, sealer: deps.sealer, keys: deps.keys, issuer: settings.issuer, replicaId: deps.replicaId, cascade: settings.cascade,
  })
  const tiers = createTierService({ store, bus, clock, log, policy: settings.trust ?? defaultTrustPolicy })
  // A denied approval is evidence against the agent that asked (an incident).
  const approvals = createApprovalService({
    store, clock, log,
    onDecided: (approval) => (approval.status === 'denied' ? tiers.noteTierEvent(approval.handle, { kind: 'incident', rule: 'approval-denied', reason: `approval ${approval.id} denied by ${approval.decidedBy}` }) : Promise.resolve()),
  })
  const refusalCodes = new Set(['ERR_SCOPE_WIDENING', 'ERR_SCOPE_UNKNOWN', 'ERR_BINDING_NOT_FOUND'])
  const agentService = createAgentService({ store, bus, clock, log })
  async function revoke(actor: string, handle: string, reason: string) {
    const result = await revocations.revoke(actor, handle, reason)
    await approvals.cancelApprovals(actor, result.agent.handle, reason)
    return result
  }
  async function suspend(actor: string, handle: string, reason: string) {
    const agent = await agentService.suspend(actor, handle, reason)
    await cutTree({ store, bus, clock, log, announce: revocations.announce }, actor, agent.handle, 'suspend', reason)
    return agent
  }
  return {
    settings,
    keys: deps.keys,
    webhooks: createWebhookService({ store, clock }),
    ...agentService,
    // A suspend reaches every active descendant (#17), each in its own write, before the answer.
    suspend,
    ...createBindingService({ store, systems, clock, log, upstreamTimeoutMs: settings.upstreamTimeoutMs, announce: revocations.announce }),
    ...createGrantService({ store, clock, log }),
    ...revocations,
    // Revoking an agent (or its owner) cancels what it was waiting for: the approvals.
    revoke,
    async revokeOwner(actor, owner, reason) {
      const results = await revocations.revokeOwner(actor, owner, reason)
      for (const { agent } of results) await approvals.cancelApprovals(actor, agent.handle, reason)
      return results
    },
    ...approvals,
    ...tiers,
    ...createAuditService({ store }),
    ...createAdminService({ store, clock }),
    ...createPresenceService({ store, keys: deps.keys, limiter: deps.limiter, clock, issuer: settings.issuer, settings: settings.presence }),
    ...createCheckpointService({ store, keys: deps.keys, clock, issuer: settings.issuer }),
    ...createTokenService({
      store, agents, tokens, keys: deps.keys, systems, sealer: deps.sealer, limiter: deps.limiter, clock, log, issuer: settings.issuer,
      rateLimits: settings.rateLimits, maxCredentialTtlSeconds: settings.maxCredentialTtlSeconds, upstreamTimeoutMs: settings.upstreamTimeoutMs,
      onApprovalRequested: (approval) => approvals.announceApproval(approval),
      tierCaps: (settings.trust ?? defaultTrustPolicy).tiers,
      // Earned trust's counters, kept per agent: grants, refused bursts, rate-limit hits.
      // Without a ladder nothing reads the grant counters, so a grant costs no extra write.
      onOutcome: (handle, outcome) =>
        outcome.granted
          ? (settings.trust?.promote.length ?? 0) > 0
            ? tiers.noteTierEvent(handle, { kind: 'grant', approved: outcome.approved })
            : Promise.resolve()
          : refusalCodes.has(outcome.code)
            ? tiers.noteTierEvent(handle, { kind: 'refusal' })
            : outcome.code === 'ERR_RATE_LIMITED'
              ? tiers.noteTierEvent(handle, { kind: 'rate-hit' })
              : Promise.resolve(),
      dpop: { required: settings.requireDpop ?? false, nonces: deps.dpopNonces }, federation: deps.federation,
    }),
    ...createDelegationService({ store, systems, clock, log, settings: settings.delegation ?? defaultDelegationSettings, announce: revocations.announce, revoke, suspend }),
    ...createTrustService({ store, clock, issuers: deps.federation?.issuers ?? [] }),
    async close() {
      await revocations.cascade.stop()
      agents.close()
      await Promise.allSettled([...systems.values()].map((s) => s.instance.close?.()))
    },
  }
}
