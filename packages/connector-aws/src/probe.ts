import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam'
import type { RevokeRequest } from '@lanyard/connector-sdk'
import { type AwsClient, awsCode, translate } from './client.js'
import { endpointsOf } from './config.js'
import { denies, parseRevocationPolicy } from './revocation-policy.js'
import { readPolicy, readRef } from './revoke.js'
import { roleName } from './target.js'

/** The session's three values; the access key id is public and stays in the ref. */
interface SessionCredentials {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken: string
}

/** The grant's revocation secret (sealed by the broker): the secret key and the session token. */
export function sessionSecret(credentials: SessionCredentials): string {
  return `${credentials.secretAccessKey} ${credentials.sessionToken}`
}

function readSecret(secret: string | undefined, accessKeyId: string): SessionCredentials | undefined {
  const [secretAccessKey, sessionToken, ...rest] = secret?.split(' ') ?? []
  return secretAccessKey && sessionToken && rest.length === 0 ? { accessKeyId, secretAccessKey, sessionToken } : undefined
}

/**
 * Does the deny stop the session now? One harmless call made with the session's own
 * credentials, `iam:GetRole` on its role: (1) refused "with an explicit deny in an
 * identity-based policy" (AWS's documented AccessDenied format) or the token expired: `dead`;
 * (2) answered, or refused only because no policy allows it (the session policy narrows it):
 * the deny is not in effect yet, `alive`; (3) without the credentials: undefined. Transient
 * trouble throws UpstreamUnavailable.
 */
export async function sessionDenied(client: AwsClient, request: RevokeRequest, signal: AbortSignal): Promise<'dead' | 'alive' | undefined> {
  const ref = readRef(request.ref)
  const credentials = ref === undefined ? undefined : readSecret(request.secret, ref.accessKeyId)
  if (credentials === undefined || ref === undefined) return undefined
  const iam = new IAMClient({
    region: client.config.region,
    ...(endpointsOf(client.config).iam === undefined ? {} : { endpoint: endpointsOf(client.config).iam }),
    credentials,
    maxAttempts: 1,
    requestHandler: { requestTimeout: client.config.timeoutMs, connectionTimeout: client.config.timeoutMs },
  })
  try {
    await iam.send(new GetRoleCommand({ RoleName: roleName(ref.roleArn) }), { abortSignal: signal })
    return 'alive'
  } catch (error) {
    const code = awsCode(error)
    if (code === 'ExpiredToken') return 'dead'
    if (code === 'AccessDenied' || code === 'AccessDeniedException') return /explicit deny/i.test((error as Error).message) ? 'dead' : 'alive'
    throw translate(client, error, 'GetRole (revocation check)')
  } finally {
    iam.destroy()
  }
}

/**
 * Is the session still usable? (1) Past its expiry: dead. (2) With the session's credentials:
 * what AWS answers it now (`sessionDenied`). (3) Without them: the role's revocation policy
 * read back; a deny written there may not be in effect yet (IAM is eventually consistent), so
 * it proves nothing: `unknown`; no deny: `alive`. Unknown as well when the policy cannot be read.
 */
export async function probe(client: AwsClient, request: RevokeRequest, signal: AbortSignal): Promise<'dead' | 'alive' | 'unknown'> {
  signal.throwIfAborted()
  if (request.expiresAt.getTime() <= client.host.clock.now().getTime()) return 'dead'
  const ref = readRef(request.ref)
  if (ref === undefined) return 'unknown'
  const seen = await sessionDenied(client, request, signal)
  if (seen !== undefined) return seen
  if (client.iam === undefined) return 'unknown'
  let text: string | undefined
  try {
    text = await readPolicy(client.iam, roleName(ref.roleArn), client.config.revocation.policyName, signal)
  } catch {
    signal.throwIfAborted()
    return 'unknown'
  }
  const session = { sourceIdentity: ref.sourceIdentity, issuedAtMs: Date.parse(ref.sessionIssuedAt), grantId: request.grantId }
  return denies(parseRevocationPolicy(text), session) ? 'unknown' : 'alive'
}
