import { z } from 'zod'
import { adminRoles } from '@lanyard/core'
import { defaults } from './defaults.js'

const secretRef = z.union([z.object({ env: z.string().min(1) }).strict(), z.object({ file: z.string().min(1) }).strict()])
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port')
/** A per-agent rate limit (core's RatePolicy). */
const ratePolicy = z.object({ ratePerSecond: z.number().positive().max(100_000), burst: z.number().int().min(1).max(100_000) }).strict()

/**
 * lanyard.yaml. Closed at every level: an unknown field is an error, not a silent no-op. Every
 * default is here (values from defaults.ts), so `z.output` of this schema is the configuration
 * the broker runs with, before the environment overrides of load.ts.
 * `systems[]` is checked in two passes: here only `name` and `type`; the connector's own
 * schema checks the rest of each entry.
 */
export const configSchema = z
  .object({
    listen: hostPort.default(defaults.listen),
    /** The issuer identifier; defaults to http://<listen>. Set it when behind a proxy. */
    issuer: z.url().optional(),
    dataDir: z.string().min(1).default(defaults.dataDir),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(defaults.logLevel),
    masterKey: secretRef.optional(),
    adminToken: secretRef.optional(),
    store: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('sqlite'), path: z.string().min(1).optional() }).strict(),
        z
          .object({
            type: z.literal('redis'),
            url: z.union([z.string().min(1), secretRef]),
            keyPrefix: z.string().min(1).optional(),
            cluster: z.boolean().optional(),
            /**
             * What an acknowledged write survives; default `fsync` (AOF with appendfsync always,
             * checked at start). Replica `timeoutMs` stays below the store's 2 s command timeout.
             */
            durability: z
              .union([
                z.literal('fsync'),
                z.literal('volatile'),
                z.object({ replicas: z.number().int().min(1).max(16), timeoutMs: z.number().int().min(10).max(1500) }).strict(),
              ])
              .optional(),
          })
          .strict(),
      ])
      .optional(),
    tokens: z
      .object({
        handleTokenTtlSeconds: z.number().int().min(60).max(3600).default(defaults.handleTokenTtlSeconds),
        maxCredentialTtlSeconds: z.number().int().min(60).max(43_200).default(defaults.maxCredentialTtlSeconds),
      })
      .strict()
      .prefault({}),
    http: z.object({ bodyLimitBytes: z.number().int().min(1024).max(1_048_576).default(defaults.bodyLimitBytes) }).strict().prefault({}),
    upstream: z
      .object({
        /** Every call to an upstream: issue, revoke (the cascade too), probe, binding checks. */
        timeoutMs: z.number().int().min(100).max(120_000).default(defaults.upstreamTimeoutMs),
        /** Plain-http upstreams: for the local sandbox only; refused unless `sandbox: true`. */
        allowInsecureUpstreamHttp: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** Marks a local sandbox deployment; unlocks insecure switches meant for it. */
    sandbox: z.boolean().default(false),
    rateLimits: z
      .object({
        exchange: ratePolicy.default(defaults.rateLimits.exchange),
        authenticate: ratePolicy.default(defaults.rateLimits.authenticate),
      })
      .strict()
      .prefault({}),
    cascade: z
      .object({
        concurrency: z.number().int().min(1).max(256).default(defaults.cascade.concurrency),
        leaseMs: z.number().int().min(1000).default(defaults.cascade.leaseMs),
        maxAttempts: z.number().int().min(1).max(100).default(defaults.cascade.maxAttempts),
        backoffBaseMs: z.number().int().min(1).default(defaults.cascade.backoffBaseMs),
        backoffMaxMs: z.number().int().min(1).default(defaults.cascade.backoffMaxMs),
        pollMs: z.number().int().min(10).default(defaults.cascade.pollMs),
        /** Probe each revoked credential upstream and record the proof (default true). */
        proveRevocation: z.boolean().default(defaults.cascade.proveRevocation),
      })
      .strict()
      .prefault({}),
    /** Approvals (#15): the `interval` an agent is told to poll at, the longest long-poll. */
    approvals: z
      .object({
        pollIntervalSeconds: z.number().int().min(1).max(300).default(defaults.approvals.pollIntervalSeconds),
        maxWaitSeconds: z.number().int().min(0).max(300).default(defaults.approvals.maxWaitSeconds),
      })
      .strict()
      .prefault({}),
    /**
     * Earned trust (#15): `promote` raises tiers from the record (never to 3: admins only),
     * incidents lower them (`severe` ones to 0), `suspendAt` incidents suspend, `tiers` caps
     * what each tier gets in an exchange.
     */
    trust: z
      .object({
        promote: z
          .array(
            z
              .object({
                to: z.union([z.literal(1), z.literal(2)]),
                after: z.object({ days: z.number().min(0).max(3650), grants: z.number().int().min(0), incidents: z.number().int().min(0).default(0), approvalsGranted: z.number().int().min(0).optional() }).strict(),
              })
              .strict(),
          )
          .default([]),
        severe: z.array(z.enum(['refused-burst', 'rate-limit-burst', 'approval-denied', 'grant-revoked', 'reported'])).default([]),
        suspendAt: z.number().int().min(1).optional(),
        refusalBurst: z.object({ threshold: z.number().int().min(1).default(defaults.trust.refusalBurst.threshold), windowSeconds: z.number().int().min(1).default(defaults.trust.refusalBurst.windowSeconds) }).strict().prefault({}),
        rateLimitBurst: z.object({ threshold: z.number().int().min(1).default(defaults.trust.rateLimitBurst.threshold), windowSeconds: z.number().int().min(1).default(defaults.trust.rateLimitBurst.windowSeconds) }).strict().prefault({}),
        tiers: z
          .object(Object.fromEntries(['0', '1', '2', '3'].map((n) => [n, z.object({ maxTtlSeconds: z.number().int().min(60).max(43_200).optional(), exchangeRate: ratePolicy.optional() }).strict().optional()])) as Record<'0' | '1' | '2' | '3', z.ZodOptional<z.ZodObject<{ maxTtlSeconds: z.ZodOptional<z.ZodNumber>; exchangeRate: z.ZodOptional<typeof ratePolicy> }, z.core.$strict>>>)
          .strict()
          .default({}),
      })
      .strict()
      .prefault({}),
    /** Revocation SETs pushed to relying parties (RFC 8935); see defaults.webhooks. */
    webhooks: z
      .object({
        concurrency: z.number().int().min(1).max(64).default(defaults.webhooks.concurrency),
        leaseMs: z.number().int().min(1000).default(defaults.webhooks.leaseMs),
        timeoutMs: z.number().int().min(100).max(120_000).default(defaults.webhooks.timeoutMs),
        maxAttempts: z.number().int().min(1).max(1000).default(defaults.webhooks.maxAttempts),
        giveUpAfterMs: z.number().int().min(1000).default(defaults.webhooks.giveUpAfterMs),
        backoffBaseMs: z.number().int().min(1).default(defaults.webhooks.backoffBaseMs),
        backoffMaxMs: z.number().int().min(1).default(defaults.webhooks.backoffMaxMs),
        pollMs: z.number().int().min(10).default(defaults.webhooks.pollMs),
        /** Lets webhook URLs reach private ranges; loopback needs `sandbox: true`. Never link-local or metadata. */
        allowPrivateNetwork: z.boolean().default(defaults.webhooks.allowPrivateNetwork),
      })
      .strict()
      .prefault({}),
    /** Signed checkpoints of every audit chain head (#13), served at /v1/audit/checkpoints and pushed as SETs. */
    audit: z
      .object({
        /** Seconds between checkpoints; 0: none. */
        checkpointIntervalSeconds: z.number().int().min(0).max(604_800).default(defaults.audit.checkpointIntervalSeconds),
      })
      .strict()
      .prefault({}),
    /** Platform issuers whose tokens agents sign in with (#16); see README "Sign in with a platform token". */
    federation: z
      .object({
        issuers: z
          .array(
            z
              .object({
                /** Compared with `iss` exactly. */
                issuer: z.string().min(1).max(512),
                /** Where the keys are, when discovery at `<issuer>/.well-known/openid-configuration` is not reachable. */
                jwksUri: z.url().optional(),
                audiences: z.array(z.string().min(1)).min(1),
                /** Asymmetric algorithms only: `none` and HMAC never verify a platform token. */
                allowedAlgs: z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])).min(1),
                /** Lets the issuer's discovery and keys resolve to private ranges (an in-cluster issuer). Never link-local or metadata. */
                allowPrivateNetwork: z.boolean().default(false),
              })
              .strict(),
          )
          .default([]),
        /** Each call to an issuer; at most 4.5 s so that an issuer-down answer comes within 5 s. */
        timeoutMs: z.number().int().min(100).max(4_500).default(defaults.federation.timeoutMs),
        cacheMaxAgeSeconds: z.number().int().min(1).max(86_400).default(defaults.federation.cacheMaxAgeSeconds),
        cooldownSeconds: z.number().int().min(0).max(3_600).default(defaults.federation.cooldownSeconds),
        failureBackoffSeconds: z.number().int().min(0).max(300).default(defaults.federation.failureBackoffSeconds),
      })
      .strict()
      .prefault({}),
    /** DPoP (RFC 9449): `requireDpop` refuses unbound handle tokens for every agent; `nonce` makes proofs carry a broker nonce. */
    dpop: z.object({ requireDpop: z.boolean().default(false), nonce: z.boolean().default(false) }).strict().prefault({}),
    /** Presence at the handle (#21); see defaults.presence. */
    presence: z
      .object({
        maskOwner: z.boolean().default(defaults.presence.maskOwner),
        showBindingDetails: z.boolean().default(defaults.presence.showBindingDetails),
        cardTtlSeconds: z.number().int().min(30).max(3600).default(defaults.presence.cardTtlSeconds),
        statusMaxAgeSeconds: z.number().int().min(0).max(60).default(defaults.presence.statusMaxAgeSeconds),
        reportBodyLimitBytes: z.number().int().min(256).max(65_536).default(defaults.presence.reportBodyLimitBytes),
        reportRateLimits: z
          .object({ perSource: ratePolicy.default(defaults.presence.reportRateLimits.perSource), perAgent: ratePolicy.default(defaults.presence.reportRateLimits.perAgent) })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /**
     * The web console (#18): its session lifetime, and sign-in through the company's OpenID
     * Provider (authorization code + PKCE). `roleMap` maps each value of the `rolesClaim`
     * claim (say a group) to a role; a person with no mapped value is refused.
     */
    console: z
      .object({
        sessionTtlSeconds: z.number().int().min(300).max(604_800).default(defaults.console.sessionTtlSeconds),
        oidc: z
          .object({
            issuer: z.url(),
            clientId: z.string().min(1),
            clientSecret: secretRef.optional(),
            redirectUri: z.url(),
            rolesClaim: z.string().min(1).default(defaults.console.rolesClaim),
            /** The claim naming the person: an email, compared with agents' `owner`. */
            subjectClaim: z.string().min(1).default(defaults.console.subjectClaim),
            /** Lets the provider's address be private (an in-house provider). Never link-local or metadata. */
            allowPrivateNetwork: z.boolean().default(false),
            roleMap: z.record(z.string().min(1), z.enum(adminRoles)).refine((map) => Object.keys(map).length > 0, 'map at least one claim value to a role'),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    /** Sub-agents (#17): how deep a tree may grow, and how many live children one agent may have. */
    delegation: z
      .object({
        maxDepth: z.number().int().min(0).max(16).default(defaults.delegation.maxDepth),
        maxChildren: z.number().int().min(0).max(10_000).default(defaults.delegation.maxChildren),
      })
      .strict()
      .prefault({}),
    systems: z
      .array(
        z
          .object({
            name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected lower-case letters, digits and "-"'),
            type: z.string().min(1),
            /** Lets this system's URLs reach private ranges (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10). Never link-local or metadata. */
            allowPrivateNetwork: z.boolean().optional(),
          })
          .loose(),
      )
      .default([]),
  })
  .strict()
