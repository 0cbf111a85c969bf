import { z } from 'zod'

const secretRef = z.union([z.object({ env: z.string().min(1) }).strict(), z.object({ file: z.string().min(1) }).strict()])
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port')
/** A per-agent rate limit (core's RatePolicy). */
const ratePolicy = z.object({ ratePerSecond: z.number().positive().max(100_000), burst: z.number().int().min(1).max(100_000) }).strict()

/**
 * lanyard.yaml. Closed at every level: an unknown field is an error, not a silent no-op.
 * `systems[]` is checked in two passes: here only `name` and `type`; the connector's own
 * schema checks the rest of each entry.
 */
export const configSchema = z
  .object({
    listen: hostPort.optional(),
    /** The issuer identifier; defaults to http://<listen>. Set it when behind a proxy. */
    issuer: z.url().optional(),
    dataDir: z.string().min(1).optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    masterKey: secretRef.optional(),
    adminToken: secretRef.optional(),
    store: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('sqlite'), path: z.string().min(1).optional() }).strict(),
        z.object({ type: z.literal('redis'), url: z.union([z.string().min(1), secretRef]), keyPrefix: z.string().min(1).optional(), cluster: z.boolean().optional() }).strict(),
      ])
      .optional(),
    tokens: z
      .object({
        handleTokenTtlSeconds: z.number().int().min(60).max(3600).optional(),
        maxCredentialTtlSeconds: z.number().int().min(60).max(43_200).optional(),
      })
      .strict()
      .optional(),
    http: z.object({ bodyLimitBytes: z.number().int().min(1024).max(1_048_576).optional() }).strict().optional(),
    upstream: z
      .object({
        timeoutMs: z.number().int().min(100).max(120_000).optional(),
        /** Plain-http upstreams: for the local sandbox only; refused unless `sandbox: true`. */
        allowInsecureUpstreamHttp: z.boolean().optional(),
      })
      .strict()
      .optional(),
    /** Marks a local sandbox deployment; unlocks insecure switches meant for it. */
    sandbox: z.boolean().optional(),
    rateLimits: z
      .object({
        exchange: ratePolicy.optional(),
        authenticate: ratePolicy.optional(),
      })
      .strict()
      .optional(),
    cascade: z
      .object({
        concurrency: z.number().int().min(1).max(256).optional(),
        leaseMs: z.number().int().min(1000).optional(),
        maxAttempts: z.number().int().min(1).max(100).optional(),
        backoffBaseMs: z.number().int().min(1).optional(),
        backoffMaxMs: z.number().int().min(1).optional(),
        pollMs: z.number().int().min(10).optional(),
        /** Probe each revoked credential upstream and record the proof (default true). */
        proveRevocation: z.boolean().optional(),
      })
      .strict()
      .optional(),
    /** Revocation SETs pushed to relying parties (RFC 8935); see defaults.webhooks. */
    webhooks: z
      .object({
        concurrency: z.number().int().min(1).max(64).optional(),
        leaseMs: z.number().int().min(1000).optional(),
        timeoutMs: z.number().int().min(100).max(120_000).optional(),
        maxAttempts: z.number().int().min(1).max(1000).optional(),
        giveUpAfterMs: z.number().int().min(1000).optional(),
        backoffBaseMs: z.number().int().min(1).optional(),
        backoffMaxMs: z.number().int().min(1).optional(),
        pollMs: z.number().int().min(10).optional(),
        /** Lets webhook URLs reach private ranges; loopback needs `sandbox: true`. Never link-local or metadata. */
        allowPrivateNetwork: z.boolean().optional(),
      })
      .strict()
      .optional(),
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
      .optional(),
  })
  .strict()
