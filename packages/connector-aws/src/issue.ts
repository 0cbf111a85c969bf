import { AssumeRoleCommand, AssumeRoleWithWebIdentityCommand, type Credentials, GetCallerIdentityCommand } from '@aws-sdk/client-sts'
import { UpstreamRefused, UpstreamUnavailable } from '@lanyard/connector-sdk'
import type { ExchangeCredential, IssueRequest, Issued, LanyardError } from '@lanyard/connector-sdk'
import { type AwsClient, awsCode, translate } from './client.js'
import { sessionPolicy, sessionPolicyMaxChars, splitScopes } from './scopes.js'
import { type AwsTarget, checkRoleChaining, roleName } from './target.js'
import { sessionSecret } from './probe.js'
import { awsName, whoisIndex } from './whois.js'

/** AWS's three values and their expiry, under `aws_credentials` in the exchange response. */
export interface AwsCredentialsMember {
  readonly access_key_id: string
  readonly secret_access_key: string
  readonly session_token: string
  /** ISO 8601. */
  readonly expiration: string
}

/**
 * The credential the agent receives: `aws_credentials` holds what the AWS SDK needs;
 * `access_token` repeats the session token because RFC 8693 requires one, typed `N_A`
 * (not an OAuth access token).
 */
export interface AwsCredential extends ExchangeCredential {
  readonly extra: { readonly aws_credentials: AwsCredentialsMember }
}

/** What the broker stores per grant: identifiers to revoke and attribute with, no secret. */
export interface AwsRef {
  readonly roleArn: string
  readonly accessKeyId: string
  readonly sessionName: string
  readonly sourceIdentity: string
  readonly assumedRoleArn: string
  /** When STS issued the session (whole seconds), as aws:TokenIssueTime reports it. ISO 8601. */
  readonly sessionIssuedAt: string
}

export const awsCredentialsTokenType = 'urn:lanyard:params:token-type:aws-credentials'

/** Session tags every session carries; both transitive, so they survive role chaining. */
export const agentTag = 'lanyard:agent'
export const grantTag = 'lanyard:grant'
/** #17: who acted for the agent, most recent first, as AWS names separated by "/" (256 characters at most). */
export const actTag = 'lanyard:act'

/** AWS's shortest session. */
const minSessionSeconds = 900

/** One AssumeRole / AssumeRoleWithWebIdentity, as the configured mode does it. */
export interface AssumeInput {
  readonly roleArn: string
  readonly sessionName: string
  /** `sub` of the ID token (web identity): the handle, or a fixed subject for checks. */
  readonly subject: string
  readonly sourceIdentity: string
  readonly tags: Readonly<Record<string, string>>
  readonly durationSeconds: number
  readonly policy: string
}

/**
 * Assumes a role carrying the agent: (1) web identity: the broker signs an ID token for
 * `subject` with SourceIdentity and the session tags in the claims AWS reads them from
 * (`https://aws.amazon.com/source_identity`, `https://aws.amazon.com/tags`), then calls
 * AssumeRoleWithWebIdentity unsigned. (2) assume-role: AssumeRole with the broker's
 * credentials, SourceIdentity, tags and ExternalId as parameters.
 */
export async function assume(
  client: AwsClient,
  input: AssumeInput,
  signal: AbortSignal,
  refusal: (code: string) => LanyardError | undefined = () => undefined,
): Promise<Credentials> {
  const { config } = client
  const tagKeys = Object.keys(input.tags)
  const common = { RoleArn: input.roleArn, RoleSessionName: input.sessionName, DurationSeconds: input.durationSeconds, Policy: input.policy }
  let token: string | undefined
  if (config.mode === 'web-identity') {
    try {
      token = await client.host.signer.signIdToken(
        {
          sub: input.subject,
          aud: config.audience,
          ttlSeconds: config.tokenTtlSeconds,
          extra: {
            'https://aws.amazon.com/source_identity': input.sourceIdentity,
            'https://aws.amazon.com/tags': {
              principal_tags: Object.fromEntries(tagKeys.map((key) => [key, [input.tags[key]]])),
              transitive_tag_keys: tagKeys,
            },
          },
        },
        config.alg,
      )
    } catch (error) {
      throw new UpstreamUnavailable(client.system, { detail: `the broker signer could not mint an ID token (${error instanceof Error ? error.name : 'error'})` })
    }
    signal.throwIfAborted()
  }
  try {
    const output =
      token !== undefined
        ? await client.sts.send(new AssumeRoleWithWebIdentityCommand({ ...common, WebIdentityToken: token }), { abortSignal: signal })
        : await client.sts.send(
            new AssumeRoleCommand({
              ...common,
              SourceIdentity: input.sourceIdentity,
              Tags: tagKeys.map((key) => ({ Key: key, Value: input.tags[key] })),
              TransitiveTagKeys: tagKeys,
              ...(config.mode === 'assume-role' && config.externalId !== undefined ? { ExternalId: config.externalId } : {}),
            }),
            { abortSignal: signal },
          )
    const c = output.Credentials
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      throw new UpstreamUnavailable(client.system, { detail: 'STS answered without credentials' })
    }
    return c
  } catch (error) {
    signal.throwIfAborted()
    const code = awsCode(error)
    if (code === 'ValidationError' && config.mode === 'assume-role' && input.durationSeconds > chainedMaxSeconds && (await sourceIsRoleSession(client, signal))) {
      throw new UpstreamRefused(
        client.system,
        `the broker's own AWS credentials are a role session (an EC2 instance profile, an ECS or EKS task role, or an assumed role), and AWS caps a role assumed with them at ${chainedMaxSeconds} s whatever the role's MaxSessionDuration says (AWS's message blames MaxSessionDuration): set maxDurationSeconds to ${chainedMaxSeconds} or less, give the broker an IAM user's keys, or use mode: web-identity`,
        { detail: `AssumeRole ${input.roleArn} for ${input.durationSeconds} s: ValidationError with role-session credentials` },
      )
    }
    throw (code === undefined ? undefined : refusal(code)) ?? translate(client, error, config.mode === 'web-identity' ? 'AssumeRoleWithWebIdentity' : 'AssumeRole')
  }
}

/** AWS's cap on a session assumed with another role session's credentials (role chaining). */
const chainedMaxSeconds = 3600

/** Are the broker's credentials a role session (`arn:...:sts::<account>:assumed-role/...`)? False when it cannot tell. */
async function sourceIsRoleSession(client: AwsClient, signal: AbortSignal): Promise<boolean> {
  try {
    const { Arn: arn } = await client.sts.send(new GetCallerIdentityCommand({}), { abortSignal: signal })
    return arn?.includes(':assumed-role/') === true
  } catch {
    return false
  }
}

/** What AccessDenied means when the bound role is assumed for an agent. */
export function trustRefusal(client: AwsClient, roleArn: string, subject: string): string {
  const trust =
    client.config.mode === 'web-identity'
      ? `its trust policy does not admit the broker's issuer for sub "${subject}" and aud "${client.config.audience}" (sts:AssumeRoleWithWebIdentity, sts:TagSession, sts:SetSourceIdentity)`
      : "its trust policy does not admit the broker's credentials (sts:AssumeRole, sts:TagSession, sts:SetSourceIdentity) or the ExternalId"
  return `AWS refused to let the broker assume ${roleArn}: the role does not exist, or ${trust}`
}

/**
 * Mints one session for the agent: SourceIdentity and RoleSessionName from the handle, session
 * tags `lanyard:agent` and `lanyard:grant` (transitive), the narrowed scopes as the inline
 * session policy, and a duration of the binding's maximum capped by the broker's.
 */
export async function issue(client: AwsClient, request: IssueRequest<AwsTarget>, signal: AbortSignal): Promise<Issued<AwsCredential>> {
  signal.throwIfAborted()
  const { system } = client
  const durationSeconds = Math.min(request.target.maxDurationSeconds, request.maxTtlSeconds)
  if (durationSeconds < minSessionSeconds) {
    throw new UpstreamRefused(system, `AWS sessions last at least ${minSessionSeconds} seconds, more than the ${durationSeconds} seconds this grant may live`)
  }
  const { actions, resources } = splitScopes(request.scopes)
  if (actions.length === 0 || resources.length === 0) throw new UpstreamRefused(system, 'the request grants no action on any resource: name at least one of each')
  // A binding made before role chaining was refused at bind time is refused here.
  checkRoleChaining(request.target, request.scopes)
  const policy = sessionPolicy(request.scopes)
  if (policy.length > sessionPolicyMaxChars) {
    throw new UpstreamRefused(
      system,
      `the session policy for this request is ${policy.length} characters and AWS allows ${sessionPolicyMaxChars}: ask for fewer actions or resources`,
    )
  }
  const name = awsName(request.agent.handle)
  const c = await assume(
    client,
    {
      roleArn: request.target.roleArn,
      sessionName: name,
      subject: request.agent.handle,
      sourceIdentity: name,
      tags: { [agentTag]: name, [grantTag]: request.grantId, ...(request.act === undefined || request.act.length === 0 ? {} : { [actTag]: request.act.map(awsName).join('/').slice(0, 256) }) },
      durationSeconds,
      policy,
    },
    signal,
    (code) => (code === 'AccessDenied' ? new UpstreamRefused(system, trustRefusal(client, request.target.roleArn, request.agent.handle), { detail: 'AWS answered AccessDenied' }) : undefined),
  )
  const accessKeyId = c.AccessKeyId!
  const expiresAt = c.Expiration!
  const ref: AwsRef = {
    roleArn: request.target.roleArn,
    accessKeyId,
    sessionName: name,
    sourceIdentity: name,
    assumedRoleArn: assumedRoleArn(request.target.roleArn, name),
    sessionIssuedAt: new Date(expiresAt.getTime() - durationSeconds * 1000).toISOString(),
  }
  client.host.log.info({ system, grant_id: request.grantId, role_arn: ref.roleArn, access_key_id: accessKeyId, session_name: name }, 'AWS session issued')
  return {
    credential: {
      accessToken: c.SessionToken!,
      tokenType: 'N_A',
      issuedTokenType: awsCredentialsTokenType,
      extra: {
        aws_credentials: {
          access_key_id: accessKeyId,
          secret_access_key: c.SecretAccessKey!,
          session_token: c.SessionToken!,
          expiration: expiresAt.toISOString(),
        },
      },
    },
    ref: { ...ref },
    expiresAt,
    index: whoisIndex(ref),
    // Kept (sealed by the broker) only where a revoke can use it: to see the deny take effect.
    ...(client.iam === undefined ? {} : { revocationSecret: sessionSecret({ accessKeyId, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! }) }),
  }
}

/** `arn:aws:sts::<account>:assumed-role/<role name>/<session name>`, as CloudTrail shows the caller. */
function assumedRoleArn(roleArn: string, sessionName: string): string {
  const [, partition, , , account] = roleArn.split(':')
  return `arn:${partition}:sts::${account}:assumed-role/${roleName(roleArn)}/${sessionName}`
}
