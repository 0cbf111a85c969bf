import { randomBytes } from 'node:crypto'
import type { JWTVerifyGetKey } from 'jose'
import type { Policy } from './policy.js'

/** What the stand-in holds: one account's keys, roles, OIDC providers and issued sessions. */
export interface AwsState {
  readonly region: string
  readonly accountId: string
  readonly now: () => number
  readonly keys: Map<string, LongTermKey>
  /** By role name. */
  readonly roles: Map<string, Role>
  /** By temporary access key id (ASIA...). */
  readonly sessions: Map<string, Session>
  /** By issuer URL. */
  readonly providers: Map<string, OidcProvider>
  /** Requests answered, by action (refused ones included). */
  readonly calls: Map<string, number>
}

export interface LongTermKey {
  accessKeyId: string
  secretAccessKey: string
  userArn: string
  /** Whether the user's policies allow the IAM role-policy actions. */
  iam: boolean
}

export interface Role {
  name: string
  arn: string
  roleId: string
  createdAt: number
  trustPolicy: Policy
  /** The role's attached permissions; a session can never do more than these allow. */
  permissions: Policy
  maxSessionDurationSeconds: number
  /** Inline policies by name (PutRolePolicy). */
  inlinePolicies: Map<string, Policy>
}

export interface Session {
  accessKeyId: string
  secretAccessKey: string
  sessionToken: string
  role: Role
  sessionName: string
  sourceIdentity?: string
  tags: Record<string, string>
  transitiveTagKeys: string[]
  sessionPolicy?: Policy
  /** Whole seconds, as aws:TokenIssueTime reports it. */
  issuedAt: number
  expiresAt: number
  /** Set for AssumeRoleWithWebIdentity: the provider ARN. */
  federatedProvider?: string
}

export interface OidcProvider {
  issuer: string
  arn: string
  /** `host[:port]/path`: the prefix of the provider's condition keys (`<prefix>:aud`). */
  keyPrefix: string
  audiences: string[]
  jwks: JWTVerifyGetKey
}

/** Who signed a request. */
export type Caller = { kind: 'user'; key: LongTermKey } | { kind: 'session'; session: Session }

export function callerArn(caller: Caller, accountId: string): string {
  if (caller.kind === 'user') return caller.key.userArn
  return assumedRoleArn(caller.session, accountId)
}

export function assumedRoleArn(session: Session, accountId: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${session.role.name}/${session.sessionName}`
}

// Identifier shapes follow AWS's: a four-letter prefix naming the kind, then base32 characters.
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

export function awsId(prefix: 'AKIA' | 'ASIA' | 'AROA' | 'AIDA', length: number): string {
  const bytes = randomBytes(length)
  let id = prefix
  for (const byte of bytes) id += BASE32[byte % 32]
  return id
}

export function randomSecret(bytes: number): string {
  return randomBytes(bytes).toString('base64')
}

/** `2019-11-09T13:34:41Z`: AWS's timestamps carry no fraction. */
export function awsTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
