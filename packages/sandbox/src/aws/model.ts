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
  /** How long an inline role policy change takes to reach access decisions (IAM is eventually consistent). */
  readonly iamPropagationMs: number
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
  /** Inline policies by name (PutRolePolicy), as IAM's own calls read them back at once. */
  inlinePolicies: Map<string, Policy>
  /**
   * Each change of an inline policy and when it reaches access decisions (`undefined`: deleted).
   * What a session may do follows the latest change whose time has come, so a deny written now
   * denies only after the account's `iamPropagationMs`, as IAM's eventual consistency does.
   */
  inlineChanges: Map<string, Array<{ policy: Policy | undefined; effectiveAt: number }>>
}

/** Records a PutRolePolicy (or, with `undefined`, a DeleteRolePolicy) in both views of the role. */
export function changeInlinePolicy(state: AwsState, role: Role, name: string, policy: Policy | undefined): void {
  if (policy === undefined) role.inlinePolicies.delete(name)
  else role.inlinePolicies.set(name, policy)
  const changes = role.inlineChanges.get(name) ?? []
  changes.push({ policy, effectiveAt: state.now() + state.iamPropagationMs })
  role.inlineChanges.set(name, changes)
}

/** The inline policies access decisions see at `now`. */
export function effectiveInlinePolicies(role: Role, now: number): Policy[] {
  const policies: Policy[] = []
  for (const changes of role.inlineChanges.values()) {
    const applied = changes.filter((change) => change.effectiveAt <= now).at(-1)
    if (applied?.policy) policies.push(applied.policy)
  }
  return policies
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
