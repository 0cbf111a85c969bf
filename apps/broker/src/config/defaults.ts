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
  /** /readyz commits one write at most this often; probes in between get the cached answer. */
  readinessIntervalMs: 2_000,
  /** How soon the cascade looks again at a grant whose exchange is still in flight. */
  pendingRecheckMs: 1_000,
  /** Per agent. An agent caches its credentials, so tens per second is already a runaway loop. */
  rateLimits: {
    exchange: { ratePerSecond: 20, burst: 40 },
    authenticate: { ratePerSecond: 2, burst: 10 },
  },
  /** Platform issuers' keys (#16). 4 s per call keeps an issuer-down answer under 5 s; keys an
   * hour old are still trusted when the issuer is down (GitHub rotates with weeks of overlap). */
  federation: {
    timeoutMs: 4_000,
    cacheMaxAgeSeconds: 3_600,
    cooldownSeconds: 30,
    failureBackoffSeconds: 10,
    /** 64 KiB: GitHub's JWKS is ~3 KiB, a Kubernetes one with a few keys less. */
    maxBodyBytes: 64 * 1024,
  },
  /** DPoP nonces rotate every 5 minutes and live up to 10. */
  dpopNonceWindowSeconds: 300,
  /** On close (SIGTERM), how long requests in flight get to be answered before their connections are cut. */
  shutdownDrainMs: 10_000,
  /** A grant still pending after this long at start-up was interrupted by a crash. */
  reconcilePendingAfterMs: 60_000,
  cascade: {
    concurrency: 16,
    leaseMs: 30_000,
    maxAttempts: 8,
    backoffBaseMs: 500,
    backoffMaxMs: 60_000,
    proveRevocation: true,
    pollMs: 2_000,
  },
  /** Approvals (#15): how often an agent should poll, how long `GET /v1/approvals/{id}?wait=` may hold. */
  approvals: { pollIntervalSeconds: 5, maxWaitSeconds: 60 },
  /** Earned trust (#15): what counts as a burst of refusals or rate-limit hits (one incident). */
  trust: { refusalBurst: { threshold: 10, windowSeconds: 60 }, rateLimitBurst: { threshold: 20, windowSeconds: 60 } },
  webhooks: {
    concurrency: 8,
    /** Above `timeoutMs`: a POST still in flight keeps its lease. */
    leaseMs: 30_000,
    timeoutMs: 10_000,
    /** High enough that `giveUpAfterMs` ends the budget: backoff capped at 1 h spends 24 h in ~35 attempts. */
    maxAttempts: 50,
    /** 24 h: a receiver down for a day has lost more than these events; the deliveries list shows them failed. */
    giveUpAfterMs: 86_400_000,
    backoffBaseMs: 1_000,
    backoffMaxMs: 3_600_000,
    pollMs: 2_000,
    allowPrivateNetwork: false,
  },
  /** Presence at the handle (#21): WebFinger, agent cards, live status, misuse reports. */
  presence: {
    maskOwner: false,
    showBindingDetails: false,
    /** 5 min: a card outlives no change by more than this; live status is the up-to-date answer. */
    cardTtlSeconds: 300,
    /** A few seconds: relying parties that poll see a revocation this soon (SETs push it at once). */
    statusMaxAgeSeconds: 5,
    /** 4 KiB: a paragraph, a contact and a link; anything bigger is not a report. */
    reportBodyLimitBytes: 4096,
    /** One source: a burst of 5, then one a minute. One agent, all sources: one a second. */
    reportRateLimits: { perSource: { ratePerSecond: 1 / 60, burst: 5 }, perAgent: { ratePerSecond: 1, burst: 30 } },
  },
  /** Sub-agents (#17): a root's children are depth 1; past `maxDepth` no agent spawns. */
  delegation: { maxDepth: 3, maxChildren: 100, sweepMs: 15_000 },
  audit: {
    /** Hourly signed checkpoints of every audit chain head; 0 turns them off. */
    checkpointIntervalSeconds: 3_600,
  },
  console: {
    /** 8 h: a working day; a console session ends with it, or at sign-out. */
    sessionTtlSeconds: 28_800,
    rolesClaim: 'groups',
    subjectClaim: 'email',
  },
} as const
