import { IAMClient } from '@aws-sdk/client-iam'
import { AssumeRoleCommand, AssumeRoleWithWebIdentityCommand, STSClient, type STSClientConfig } from '@aws-sdk/client-sts'
import { ConfigInvalid, UpstreamRefused, UpstreamUnavailable, isLanyardError, parseRetryAfter } from '@lanyard/connector-sdk'
import type { ConnectorHost, LanyardError } from '@lanyard/connector-sdk'
import { type AwsConfig, endpointsOf } from './config.js'

/**
 * The AWS SDK clients one configured system shares, and the one translation from their errors
 * to the catalogue. STS mints the agents' sessions; IAM (through `iam`) writes the revocation
 * denies, with the broker's own credentials or a revocation role it assumes.
 */
export interface AwsClient {
  readonly system: string
  readonly config: AwsConfig
  readonly host: ConnectorHost
  readonly sts: STSClient
  /** Absent when this system cannot write IAM: revocation is off, or web identity has no revocation role. */
  readonly iam: IAMClient | undefined
  close(): void
}

type Credentials = Exclude<STSClientConfig['credentials'], undefined>
interface Identity {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
  expiration?: Date
}

/** Renew revocation-role credentials this long before they expire. */
const renewBeforeMs = 5 * 60 * 1000

export function createClient(config: AwsConfig, host: ConnectorHost): AwsClient {
  const { system } = host
  const endpoints = endpointsOf(config)
  for (const [service, url] of Object.entries(endpoints)) {
    if (url.startsWith('http:') && host.allowInsecureUpstreamHttp !== true) {
      throw new ConfigInvalid([`systems.${system}.endpoints.${service}: plain http is allowed only in a sandbox deployment (allowInsecureUpstreamHttp)`])
    }
  }
  const options = {
    region: config.region,
    maxAttempts: config.maxAttempts,
    requestHandler: { requestTimeout: config.timeoutMs, connectionTimeout: config.timeoutMs },
  }
  const at = (url: string | undefined) => (url === undefined ? {} : { endpoint: url })
  // Web identity holds no AWS key: a signed STS call there is a bug, refused before it leaves.
  const base: Credentials | undefined =
    config.mode === 'web-identity'
      ? () => Promise.reject(new Error('web-identity mode holds no AWS credentials'))
      : config.credentials && { accessKeyId: config.credentials.accessKeyId, secretAccessKey: config.credentials.secretAccessKey.reveal() }
  const sts = new STSClient({ ...options, ...at(endpoints.sts), ...(base === undefined ? {} : { credentials: base }) })

  const iamCredentials = revocationCredentials(config, host, sts, base)
  // One attempt: the SDK counts LimitExceeded as throttling and would back off twice before the
  // revocation could shrink its policy; transient failures are retried by the cascade instead.
  const iam = iamCredentials === null ? undefined : new IAMClient({ ...options, ...at(endpoints.iam), maxAttempts: 1, ...(iamCredentials === undefined ? {} : { credentials: iamCredentials }) })
  return {
    system,
    config,
    host,
    sts,
    iam,
    close() {
      sts.destroy()
      iam?.destroy()
    },
  }
}

/**
 * Credentials for IAM writes: (1) revocation off, or web identity without a revocation role:
 * none (`null`). (2) A revocation role: assumed on demand (with an ID token for
 * `revocation.subject` in web-identity mode) and kept until 5 minutes before it expires.
 * (3) Otherwise the broker's own credentials (`undefined`: the SDK's default chain).
 */
function revocationCredentials(config: AwsConfig, host: ConnectorHost, sts: STSClient, base: Credentials | undefined): Credentials | undefined | null {
  const { roleArn, enabled, subject } = config.revocation
  if (!enabled || (config.mode === 'web-identity' && roleArn === undefined)) return null
  if (roleArn === undefined) return base
  let cached: Identity | undefined
  const assume = async (): Promise<Identity> => {
    const common = { RoleArn: roleArn, RoleSessionName: 'lanyard-revoker', DurationSeconds: 900 }
    const { Credentials: c } =
      config.mode === 'web-identity'
        ? await sts.send(
            new AssumeRoleWithWebIdentityCommand({
              ...common,
              WebIdentityToken: await host.signer.signIdToken({ sub: subject, aud: config.audience, ttlSeconds: config.tokenTtlSeconds }, config.alg),
            }),
          )
        : await sts.send(new AssumeRoleCommand({ ...common, ...(config.externalId === undefined ? {} : { ExternalId: config.externalId }) }))
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) throw new Error('STS answered without credentials')
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration }
  }
  return async () => {
    const now = host.clock.now().getTime()
    if (!cached?.expiration || cached.expiration.getTime() - renewBeforeMs <= now) cached = await assume()
    return cached
  }
}

interface ServiceErrorLike {
  readonly name: string
  readonly Code?: string
  readonly message: string
  readonly $metadata: { readonly httpStatusCode?: number }
}

/** AWS answered: the SDK also stamps `$metadata` on network failures, but without a status. */
function isServiceError(error: unknown): error is ServiceErrorLike {
  return error instanceof Error && typeof (error as Partial<ServiceErrorLike>).$metadata?.httpStatusCode === 'number'
}

/** The AWS error code: the query protocol's `Code` (`PackedPolicyTooLarge`), else the SDK's class name. */
export function awsCode(error: unknown): string | undefined {
  return isServiceError(error) ? (error.Code ?? error.name) : undefined
}

/** Retrying these later can succeed: AWS was busy, throttled, or could not reach the identity provider. */
const transientCodes = new Set([
  'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'ServiceUnavailable', 'InternalFailure', 'RequestTimeout', 'IDPCommunicationError',
])

/** Why AWS refused, in our words; AWS's own messages are never passed on. */
const refusals: Readonly<Record<string, string>> = {
  InvalidClientTokenId: "AWS does not know the broker's access key id",
  SignatureDoesNotMatch: "AWS refused the broker's signature: the secret access key does not belong to the access key id, or the broker's clock is off",
  ExpiredToken: "the broker's AWS credentials have expired",
  InvalidIdentityToken: "AWS refused the broker's ID token: register the broker's issuer as an IAM OIDC provider with the configured audience as a client ID",
  ExpiredTokenException: "AWS found the broker's ID token expired: check the broker's clock",
  IDPRejectedClaim: "AWS rejected a claim of the broker's ID token (session tags or source identity)",
  PackedPolicyTooLarge: "the session policy and session tags exceed AWS's packed size limit: ask for fewer actions or resources",
  MalformedPolicyDocument: 'AWS refused the session policy built from the requested scopes as malformed',
  RegionDisabledException: 'STS is not activated in the configured region',
}

/**
 * The one translation from AWS SDK errors to the catalogue. (1) Ours pass through. (2) The
 * caller gave up: UpstreamUnavailable. (3) AWS answered: 5xx and throttling are
 * UpstreamUnavailable (retryable); anything else is UpstreamRefused, its reason from `reasons`
 * (per operation, e.g. what AccessDenied means there) or the table above. (4) No answer at all:
 * UpstreamUnavailable. No cause is kept and no AWS message is repeated: they name ARNs and
 * principals the agent need not see.
 */
export function translate(client: Pick<AwsClient, 'system' | 'host'>, error: unknown, action: string, reasons: Readonly<Record<string, string>> = {}): LanyardError {
  const { system } = client
  if (isLanyardError(error)) return error
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return new UpstreamUnavailable(system, { detail: `${action}: aborted (${error.name})` })
  }
  if (!isServiceError(error)) return new UpstreamUnavailable(system, { detail: `${action}: no answer from AWS` })
  const code = awsCode(error) ?? 'Unknown'
  const status = error.$metadata.httpStatusCode ?? 0
  const detail = `${action}: AWS answered ${code} (${status})`
  if (status >= 500 || status === 429 || transientCodes.has(code)) {
    const headers = (error as { $response?: { headers?: Record<string, string | undefined> } }).$response?.headers
    const retryAfterMs = parseRetryAfter(headers?.['retry-after'], client.host.clock.now())
    return new UpstreamUnavailable(system, { detail, answer: `AWS answered ${code} (${status})`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) })
  }
  return new UpstreamRefused(system, reasons[code] ?? refusals[code] ?? `AWS refused ${action} (${code})`, { detail })
}
