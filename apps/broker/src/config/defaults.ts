/** Every default in one place, units in the names. */
export const defaults = {
  listen: '127.0.0.1:7420',
  dataDir: '.lanyard',
  logLevel: 'info',
  /** Handle tokens: minutes, so a revoked agent's tokens also die on their own soon. */
  handleTokenTtlSeconds: 600,
  /** Cap on any upstream credential's lifetime; connectors may give less. */
  maxCredentialTtlSeconds: 3600,
  upstreamTimeoutMs: 10_000,
  /** 16 KiB: the largest legitimate body (a binding with a long ceiling) is ~2 KiB. */
  bodyLimitBytes: 16 * 1024,
  agentCacheMs: 5_000,
  /** Per agent. An agent caches its credentials, so tens per second is already a runaway loop. */
  rateLimits: {
    exchange: { ratePerSecond: 20, burst: 40 },
    authenticate: { ratePerSecond: 2, burst: 10 },
  },
  /** A grant still pending after this long at start-up was interrupted by a crash. */
  reconcilePendingAfterMs: 60_000,
  cascade: {
    concurrency: 16,
    leaseMs: 30_000,
    maxAttempts: 8,
    backoffBaseMs: 500,
    backoffMaxMs: 60_000,
    upstreamTimeoutMs: 10_000,
    pendingRecheckMs: 1_000,
    proveRevocation: true,
    pollMs: 2_000,
  },
} as const
