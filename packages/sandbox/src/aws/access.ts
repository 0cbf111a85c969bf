import { expiredToken, invalidClientTokenId, signatureDoesNotMatch } from './errors.js'
import { type AwsState, type Session, awsTime, effectiveInlinePolicies } from './model.js'
import { type Decision, evaluate } from './policy.js'
import { equalStrings } from './sigv4.js'

/**
 * What a service would decide for a request made with session credentials: refused once the
 * session has expired; otherwise denied by any matching Deny (the role's inline policies, e.g. a
 * revocation deny on aws:SourceIdentity and aws:TokenIssueTime, once IAM has applied it), and
 * allowed only when both the role's permissions and the session policy allow.
 */
export function decideSessionAccess(state: AwsState, session: Session, action: string, resource: string): Decision {
  const now = state.now()
  if (now >= session.expiresAt) throw expiredToken()
  const rolePolicies = [session.role.permissions, ...effectiveInlinePolicies(session.role, now)]
  const layers = session.sessionPolicy ? [rolePolicies, [session.sessionPolicy]] : [rolePolicies]
  const keys: Record<string, string | undefined> = {
    'aws:SourceIdentity': session.sourceIdentity,
    'aws:TokenIssueTime': awsTime(session.issuedAt),
    'aws:PrincipalArn': session.role.arn,
    'aws:PrincipalAccount': state.accountId,
    'aws:userid': `${session.role.roleId}:${session.sessionName}`,
    'aws:FederatedProvider': session.federatedProvider,
    'aws:CurrentTime': awsTime(now),
    'aws:EpochTime': String(Math.floor(now / 1000)),
  }
  for (const [key, value] of Object.entries(session.tags)) keys[`aws:PrincipalTag/${key}`] = value
  return evaluate(layers, { action, resource, keys })
}

/** The in-process form of a signed request: the three values must be those STS issued. */
export function authenticateSession(
  state: AwsState,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
): Session {
  const session = state.sessions.get(credentials.accessKeyId)
  if (!session || credentials.sessionToken === undefined || !equalStrings(credentials.sessionToken, session.sessionToken)) {
    throw invalidClientTokenId()
  }
  if (!equalStrings(credentials.secretAccessKey, session.secretAccessKey)) {
    throw signatureDoesNotMatch('The request signature we calculated does not match the signature you provided.')
  }
  return session
}
