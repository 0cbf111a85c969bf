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
    cascade: { ...config.cascade, upstreamTimeoutMs: config.upstream.timeoutMs, pendingRecheckMs: defaults.pendingRecheckMs },
    requireDpop: config.dpop.requireDpop,
  }
}
