import type { LanyardSettings } from '@lanyard/core'
import { defaults } from './defaults.js'
import type { BrokerConfig } from './load.js'

/**
 * What the use cases get of the configuration. `upstream.timeoutMs` bounds every upstream call:
 * issue and binding checks, and the cascade's revoke and probe alike.
 */
export function lanyardSettings(config: BrokerConfig, issuer: string): LanyardSettings {
  return {
    issuer,
    handleTokenTtlSeconds: config.tokens.handleTokenTtlSeconds,
    maxCredentialTtlSeconds: config.tokens.maxCredentialTtlSeconds,
    upstreamTimeoutMs: config.upstream.timeoutMs,
    agentCacheMs: defaults.agentCacheMs,
    rateLimits: config.rateLimits,
    approvals: config.approvals,
    trust: {
      promote: config.trust.promote,
      severe: config.trust.severe,
      ...(config.trust.suspendAt === undefined ? {} : { suspendAt: config.trust.suspendAt }),
      refusalBurst: config.trust.refusalBurst,
      rateLimitBurst: config.trust.rateLimitBurst,
      tiers: Object.fromEntries(Object.entries(config.trust.tiers).filter(([, caps]) => caps !== undefined).map(([n, caps]) => [Number(n), caps])),
    },
    presence: { maskOwner: config.presence.maskOwner, showBindingDetails: config.presence.showBindingDetails, cardTtlSeconds: config.presence.cardTtlSeconds, reportRateLimits: config.presence.reportRateLimits },
    cascade: { ...config.cascade, upstreamTimeoutMs: config.upstream.timeoutMs, pendingRecheckMs: defaults.pendingRecheckMs },
    requireDpop: config.dpop.requireDpop,
    delegation: config.delegation,
  }
}
