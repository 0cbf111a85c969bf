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
import { createAgentService, type AgentService } from './services/agents.js'
import { createAuditService, type AuditService } from './services/audit.js'
import { createCheckpointService, type CheckpointService } from './services/checkpoints.js'
import { createBindingService, type BindingService } from './services/bindings.js'
import { createGrantService, type GrantService } from './services/grants.js'
import { createRevocationService, type RevocationService } from './services/revocations.js'
import { createTokenService, type TokenService } from './services/tokens.js'
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
  /** Refuse unbound handle tokens for every agent (RFC 9449); per agent, the `require-dpop` label. */
  readonly requireDpop?: boolean
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
  TrustService & {
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
  return {
    settings,
    keys: deps.keys,
    webhooks: createWebhookService({ store, clock }),
    ...createAgentService({ store, bus, clock, log }),
    ...createBindingService({ store, systems, clock, log, upstreamTimeoutMs: settings.upstreamTimeoutMs }),
    ...createGrantService({ store, clock, log }),
    ...revocations,
    ...createAuditService({ store }),
    ...createCheckpointService({ store, keys: deps.keys, clock, issuer: settings.issuer }),
    ...createTokenService({
      store, agents, tokens, keys: deps.keys, systems, sealer: deps.sealer, limiter: deps.limiter, clock, log, issuer: settings.issuer,
      rateLimits: settings.rateLimits, maxCredentialTtlSeconds: settings.maxCredentialTtlSeconds, upstreamTimeoutMs: settings.upstreamTimeoutMs,
      dpop: { required: settings.requireDpop ?? false, nonces: deps.dpopNonces }, federation: deps.federation,
    }),
    ...createTrustService({ store, clock, issuers: deps.federation?.issuers ?? [] }),
    async close() {
      await revocations.cascade.stop()
      agents.close()
      await Promise.allSettled([...systems.values()].map((s) => s.instance.close?.()))
    },
  }
}
