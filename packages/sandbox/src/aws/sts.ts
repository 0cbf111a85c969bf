import { deflateRawSync } from 'node:zlib'
import { AwsSandboxError, accessDenied, invalidParameter, validationError } from './errors.js'
import { type AwsState, type Caller, type Role, type Session, assumedRoleArn, awsId, awsTime, callerArn, randomSecret } from './model.js'
import { verifyWebIdentityToken } from './oidc.js'
import { type Policy, type RequestContext, evaluate, parsePolicy } from './policy.js'
import { LIMITS, checkName, checkSourceIdentity, checkString, checkTags, required } from './rules.js'
import type { XmlObject } from './xml.js'

/** STS: AssumeRole, AssumeRoleWithWebIdentity and GetCallerIdentity with AWS's parameter rules. */

/**
 * AWS packs the session policy and the session tags into the session token and refuses the call
 * when the packed form outgrows its limit (PackedPolicyTooLarge), reporting the share of the limit
 * used as PackedPolicySize. AWS does not publish its packing; the stand-in deflates both and
 * measures against 768 bytes, which keeps ordinary policies under 30% and lets a 2,048-character
 * policy of incompressible ARNs fail the packed check while passing the plain-length check, as
 * real ones can.
 */
const PACKED_LIMIT_BYTES = 768

const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]*$/

/** A session assumed with another session's credentials lasts one hour at most. */
const CHAINED_MAX_SECONDS = 3600

export async function assumeRole(state: AwsState, caller: Caller, params: URLSearchParams): Promise<XmlObject> {
  const role = findRole(state, required(params, 'RoleArn'), caller, 'sts:AssumeRole')
  const sessionName = checkName(required(params, 'RoleSessionName'), 'roleSessionName')
  const duration = checkDuration(params.get('DurationSeconds'), role)
  // Role chaining (session credentials calling AssumeRole, as an EC2 instance profile or an ECS
  // task role does): AWS caps the new session at one hour whatever the role allows, and answers
  // with the same MaxSessionDuration message; the first session's source identity carries over.
  if (caller.kind === 'session' && duration > CHAINED_MAX_SECONDS) {
    throw new AwsSandboxError('ValidationError', 400, 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.')
  }
  if (caller.kind === 'session' && caller.session.sourceIdentity !== undefined && params.has('SourceIdentity') && params.get('SourceIdentity') !== caller.session.sourceIdentity) {
    throw accessDenied('The source identity of a chained session cannot differ from the one already set.')
  }
  const externalId = params.get('ExternalId') ?? undefined
  if (externalId !== undefined) checkString(externalId, 'externalId', { min: 2, max: 1224, pattern: EXTERNAL_ID_PATTERN })
  const sourceIdentity = params.has('SourceIdentity') ? checkSourceIdentity(params.get('SourceIdentity')!) : undefined
  const { tags, transitiveTagKeys } = parseTags(params)
  const sessionPolicy = parseSessionPolicy(params)
  if (params.has('PolicyArns.member.1.arn')) throw invalidParameter('Managed session policies are not modelled by the sandbox.')

  const principal = { type: 'AWS', arn: callerArn(caller, state.accountId) }
  const keys: RequestContext['keys'] = {
    'sts:ExternalId': externalId,
    'sts:RoleSessionName': sessionName,
    'sts:SourceIdentity': sourceIdentity,
    'aws:PrincipalArn': principal.arn,
    ...requestTagKeys(tags),
  }
  requireTrust(role, principal, keys, 'sts:AssumeRole')
  if (Object.keys(tags).length > 0) requireTrust(role, principal, keys, 'sts:TagSession')
  if (sourceIdentity !== undefined) requireTrust(role, principal, keys, 'sts:SetSourceIdentity')

  const session = startSession(state, role, { sessionName, duration, sourceIdentity, tags, transitiveTagKeys, sessionPolicy })
  return sessionResult(state, session, packedPolicySize(sessionPolicy, tags, transitiveTagKeys))
}

export async function assumeRoleWithWebIdentity(state: AwsState, params: URLSearchParams): Promise<XmlObject> {
  const roleArn = required(params, 'RoleArn')
  const sessionName = checkName(required(params, 'RoleSessionName'), 'roleSessionName')
  const token = required(params, 'WebIdentityToken')
  checkString(token, 'webIdentityToken', { min: 4, max: 20_000, pattern: /^[\s\S]*$/ })
  const sessionPolicy = parseSessionPolicy(params)
  const identity = await verifyWebIdentityToken(state, token)

  const principal = { type: 'Federated', arn: identity.provider.arn }
  const role = findRole(state, roleArn, undefined, 'sts:AssumeRoleWithWebIdentity')
  const duration = checkDuration(params.get('DurationSeconds'), role)
  const { tags, transitiveTagKeys } = identity.tags
  const prefix = identity.provider.keyPrefix
  const keys: RequestContext['keys'] = {
    [`${prefix}:aud`]: identity.audience,
    [`${prefix}:sub`]: identity.subject,
    'aws:FederatedProvider': identity.provider.arn,
    'sts:RoleSessionName': sessionName,
    'sts:SourceIdentity': identity.sourceIdentity,
    ...requestTagKeys(tags),
  }
  requireTrust(role, principal, keys, 'sts:AssumeRoleWithWebIdentity')
  if (Object.keys(tags).length > 0) requireTrust(role, principal, keys, 'sts:TagSession')
  if (identity.sourceIdentity !== undefined) requireTrust(role, principal, keys, 'sts:SetSourceIdentity')

  const session = startSession(state, role, {
    sessionName,
    duration,
    sourceIdentity: identity.sourceIdentity,
    tags,
    transitiveTagKeys,
    sessionPolicy,
    federatedProvider: identity.provider.arn,
  })
  return {
    ...sessionResult(state, session, packedPolicySize(sessionPolicy, tags, transitiveTagKeys)),
    SubjectFromWebIdentityToken: identity.subject,
    Audience: identity.audience,
    Provider: identity.provider.issuer,
  }
}

export function getCallerIdentity(state: AwsState, caller: Caller): XmlObject {
  const userId = caller.kind === 'user' ? caller.key.accessKeyId : `${caller.session.role.roleId}:${caller.session.sessionName}`
  return { UserId: userId, Account: state.accountId, Arn: callerArn(caller, state.accountId) }
}

function startSession(
  state: AwsState,
  role: Role,
  s: Omit<Session, 'accessKeyId' | 'secretAccessKey' | 'sessionToken' | 'role' | 'issuedAt' | 'expiresAt'> & { duration: number },
): Session {
  const issuedAt = Math.floor(state.now() / 1000) * 1000
  const { duration, ...rest } = s
  const session: Session = {
    ...rest,
    accessKeyId: awsId('ASIA', 16),
    secretAccessKey: randomSecret(30),
    sessionToken: randomSecret(192),
    role,
    issuedAt,
    expiresAt: issuedAt + duration * 1000,
  }
  state.sessions.set(session.accessKeyId, session)
  return session
}

function sessionResult(state: AwsState, session: Session, packedPolicySize: number | undefined): XmlObject {
  return {
    Credentials: {
      AccessKeyId: session.accessKeyId,
      SecretAccessKey: session.secretAccessKey,
      SessionToken: session.sessionToken,
      Expiration: awsTime(session.expiresAt),
    },
    AssumedRoleUser: {
      AssumedRoleId: `${session.role.roleId}:${session.sessionName}`,
      Arn: assumedRoleArn(session, state.accountId),
    },
    PackedPolicySize: packedPolicySize,
    SourceIdentity: session.sourceIdentity,
  }
}

/**
 * A role the caller may not see and a role that does not exist answer alike: AWS says
 * AccessDenied for both, so a caller cannot probe for role names.
 */
function findRole(state: AwsState, roleArn: string, caller: Caller | undefined, action: string): Role {
  checkString(roleArn, 'roleArn', { min: 20, max: 2048, pattern: /^\S+$/ })
  const role = [...state.roles.values()].find((r) => r.arn === roleArn)
  if (!role) throw notAuthorized(state, caller, action, roleArn)
  return role
}

function requireTrust(role: Role, principal: { type: string; arn: string }, keys: RequestContext['keys'], action: string): void {
  if (evaluate([[role.trustPolicy]], { action, principal, keys }) !== 'allowed') {
    throw accessDenied(`User: ${principal.arn} is not authorized to perform: ${action} on resource: ${role.arn}`)
  }
}

function notAuthorized(state: AwsState, caller: Caller | undefined, action: string, resource: string): AwsSandboxError {
  if (!caller) return accessDenied(`Not authorized to perform ${action}`)
  return accessDenied(`User: ${callerArn(caller, state.accountId)} is not authorized to perform: ${action} on resource: ${resource}`)
}

function checkDuration(raw: string | null, role: Role): number {
  if (raw === null) return Math.min(LIMITS.durationDefaultSeconds, role.maxSessionDurationSeconds)
  const seconds = Number(raw)
  if (!Number.isInteger(seconds)) throw validationError(raw, 'durationSeconds', 'Member must be an integer')
  if (seconds < LIMITS.durationMinSeconds) {
    throw validationError(raw, 'durationSeconds', `Member must have value greater than or equal to ${LIMITS.durationMinSeconds}`)
  }
  if (seconds > LIMITS.durationMaxSeconds) {
    throw validationError(raw, 'durationSeconds', `Member must have value less than or equal to ${LIMITS.durationMaxSeconds}`)
  }
  if (seconds > role.maxSessionDurationSeconds) {
    throw new AwsSandboxError('ValidationError', 400, 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.')
  }
  return seconds
}

function parseTags(params: URLSearchParams): { tags: Record<string, string>; transitiveTagKeys: string[] } {
  const tags: Record<string, string> = {}
  for (let i = 1; params.has(`Tags.member.${i}.Key`); i++) {
    const key = params.get(`Tags.member.${i}.Key`)!
    if (Object.hasOwn(tags, key)) throw invalidParameter(`Duplicate tag keys found. Tag keys are case-insensitive: ${key}`)
    tags[key] = params.get(`Tags.member.${i}.Value`) ?? ''
  }
  const transitiveTagKeys: string[] = []
  for (let i = 1; params.has(`TransitiveTagKeys.member.${i}`); i++) transitiveTagKeys.push(params.get(`TransitiveTagKeys.member.${i}`)!)
  checkTags(tags, transitiveTagKeys, invalidParameter)
  return { tags, transitiveTagKeys }
}

function parseSessionPolicy(params: URLSearchParams): Policy | undefined {
  const text = params.get('Policy')
  if (text === null) return undefined
  if (text.length < 1 || text.length > LIMITS.policyMaxChars) {
    throw validationError('{policy}', 'policy', `Member must have length less than or equal to ${LIMITS.policyMaxChars}`)
  }
  return parsePolicy(text, 'session')
}

function packedPolicySize(policy: Policy | undefined, tags: Record<string, string>, transitive: string[]): number | undefined {
  if (!policy && Object.keys(tags).length === 0) return undefined
  const packed = deflateRawSync(
    JSON.stringify([policy ? JSON.parse(policy.text) : null, tags, transitive]),
    { level: 9 },
  ).length
  const percent = Math.ceil((packed * 100) / PACKED_LIMIT_BYTES)
  if (percent > 100) {
    throw new AwsSandboxError('PackedPolicyTooLarge', 400, `Packed size of policy and tags exceeds ${percent}% of the allowed limit.`)
  }
  return percent
}

function requestTagKeys(tags: Record<string, string>): RequestContext['keys'] {
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v]))
}
