import { secret } from '@lanyard/connector-sdk'
import { z } from 'zod'

/** Hosts where plain http is acceptable: the sandbox and local tests, never a network hop. */
const loopbackHosts = new Set(['127.0.0.1', 'localhost', '[::1]'])

/**
 * Every AWS partition: commercial, China, GovCloud (US), and the isolated ones (ISO, ISO-B,
 * ISO-E, ISO-F), as the SDK's partition table lists them.
 */
export const awsPartitions = ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b', 'aws-iso-e', 'aws-iso-f'] as const
export const partitionPattern = `(${awsPartitions.join('|')})`

/** `arn:<partition>:iam::<account>:role/<path/>name`. */
export const roleArn = z
  .string()
  .regex(new RegExp(`^arn:${partitionPattern}:iam::\\d{12}:role\\/([\\w+=,.@-]+\\/)*[\\w+=,.@-]{1,64}$`), {
    message: `expected an IAM role ARN: arn:<partition>:iam::<account>:role/<name>, partition one of ${awsPartitions.join(', ')}`,
  })

const endpointUrl = z
  .url()
  .refine((value) => {
    const url = new URL(value)
    return url.protocol === 'https:' || (url.protocol === 'http:' && loopbackHosts.has(url.hostname))
  }, { message: 'expected an https URL (plain http only to a loopback address, for the sandbox)' })

const revocation = z
  .object({
    /** Off: every revoke answers unrevocable-until the session's expiry. */
    enabled: z.boolean().default(true),
    /** The inline policy on each bound role that holds the revocation denies. */
    policyName: z.string().regex(/^[\w+=,.@-]{1,128}$/).default('lanyard-revocations'),
    /**
     * A role the broker assumes to write that policy (iam:PutRolePolicy, iam:GetRolePolicy on the
     * bound roles). Web-identity mode needs it to revoke at all (the broker holds no AWS key);
     * assume-role mode uses the broker's own credentials when it is absent.
     */
    roleArn: roleArn.optional(),
    /** Web-identity mode: `sub` of the ID token the broker presents for `roleArn`. */
    subject: z.string().min(1).max(255).default('lanyard-revoker'),
    /**
     * IAM is eventually consistent: a deny written now stops sessions a few seconds later. A
     * revoke reports `revoked` only once a call with the session's own credentials is refused
     * by the deny, and `revoking` until then, for at most this long; past it, the session is
     * reported `unrevocable-until` its expiry.
     */
    confirmWithinSeconds: z.number().int().min(1).max(900).default(60),
  })
  .strict()

const common = {
  /** STS region; signing region for both STS and IAM. */
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { message: 'expected an AWS region such as us-east-1' }).default('us-east-1'),
  /** Both STS and IAM at one URL: the sandbox. Plain http only to loopback, and only when the broker runs as a sandbox. */
  endpoint: endpointUrl.optional(),
  /**
   * STS and IAM apart: an STS VPC interface endpoint (`https://vpce-...sts.us-east-1.vpce.amazonaws.com`)
   * or a FIPS endpoint (`https://sts-fips.us-east-1.amazonaws.com`, `https://iam-fips.amazonaws.com`).
   * Each falls back to `endpoint`, then to the SDK's own for `region`.
   */
  endpoints: z.object({ sts: endpointUrl.optional(), iam: endpointUrl.optional() }).strict().optional(),
  /** Attempts per AWS call, the first included (the SDK's standard retry strategy). */
  maxAttempts: z.number().int().min(1).max(10).default(3),
  /** Per attempt. */
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  revocation: revocation.default({ enabled: true, policyName: 'lanyard-revocations', subject: 'lanyard-revoker', confirmWithinSeconds: 60 }),
  /**
   * `validateBinding` assumes the role once, with a session policy that denies everything, to
   * prove the role exists, trusts the broker and allows the binding's maximum duration.
   */
  bindingCheck: z.boolean().default(true),
}

/**
 * `mode: web-identity` (the default): the broker is the OIDC identity provider. It mints an ID
 * token for the agent (iss = the broker, aud = `audience`, sub = the handle) and calls
 * AssumeRoleWithWebIdentity; it holds no AWS secret.
 */
const webIdentity = z
  .object({
    mode: z.literal('web-identity'),
    /** `aud` of the ID tokens: a client ID of the IAM OIDC provider. */
    audience: z.string().min(1).max(255).default('sts.amazonaws.com'),
    /** Lifetime of each ID token; AWS only needs it for the one call. */
    tokenTtlSeconds: z.number().int().min(60).max(3600).default(300),
    alg: z.enum(['RS256', 'ES256']).default('RS256'),
    /** `sub` of the ID token for the binding check; the roles' trust policies must admit it. */
    bindingCheckSubject: z.string().min(1).max(255).default('lanyard-binding-check'),
    ...common,
  })
  .strict()

/**
 * `mode: assume-role`: the broker's own AWS credentials call AssumeRole: `credentials` when
 * given, else the AWS SDK's default provider chain (environment, shared files, instance role).
 */
const assumeRole = z
  .object({
    mode: z.literal('assume-role'),
    /** Sent as ExternalId where the roles' trust policies require one. */
    externalId: z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, { message: 'expected 2..1224 characters of [\\w+=,.@:/-]' }).optional(),
    credentials: z
      .object({ accessKeyId: z.string().regex(/^[A-Z0-9]{16,128}$/, { message: 'expected an AWS access key id' }), secretAccessKey: secret() })
      .strict()
      .optional(),
    ...common,
  })
  .strict()

/** The fields of a `type: aws` system in lanyard.yaml. Closed: an unknown field is an error naming it. */
export const awsConfig = z.preprocess(
  (value) => (value !== null && typeof value === 'object' && !Array.isArray(value) && !('mode' in value) ? { ...value, mode: 'web-identity' } : value),
  z.discriminatedUnion('mode', [webIdentity, assumeRole]),
)

export type AwsConfig = z.output<typeof awsConfig>

/** Where STS and IAM calls go: `endpoints.<service>`, else `endpoint`, else the SDK's default. */
export function endpointsOf(config: AwsConfig): { readonly sts?: string; readonly iam?: string } {
  const sts = config.endpoints?.sts ?? config.endpoint
  const iam = config.endpoints?.iam ?? config.endpoint
  return { ...(sts === undefined ? {} : { sts }), ...(iam === undefined ? {} : { iam }) }
}
