import { IssuerUnknown, RequestInvalid } from '../errors.js'
import { matchesPattern, patternProblem } from './claim-pattern.js'

/**
 * Conditions on a platform token's claims: each key a claim name, each value a pattern (see
 * claim-pattern.ts) or, for an object claim such as Kubernetes' `kubernetes.io`, conditions on
 * its members. Every condition must hold.
 */
export type ClaimConditions = { readonly [claim: string]: string | ClaimConditions }

/** The ready-made shapes: each checks the rule when it is added and the token when it is matched. */
export type TrustRuleShape = 'github-actions' | 'kubernetes' | 'spiffe'

/**
 * Who may sign in as an agent with a platform token: tokens of `issuer`, for `audience`, whose
 * `sub` matches `subject` and whose claims meet `claims`. Rules are records of the agent.
 */
export interface TrustRule {
  readonly id: string
  readonly handle: string
  readonly issuer: string
  readonly audience: string
  readonly subject: string
  readonly claims: ClaimConditions
  readonly shape?: TrustRuleShape
  readonly createdAt: Date
}

export type NewTrustRule = Pick<TrustRule, 'issuer' | 'audience' | 'subject'> & { readonly claims?: ClaimConditions; readonly shape?: TrustRuleShape }

/** Claims a rule cannot condition: the broker checks them itself (`iss`, `aud`, times) or through `subject`. */
const reservedClaims = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'cnf'])
const maxConditions = 32
const maxDepth = 3

/** The documented claims of each shape (GitHub's "Understanding the OIDC token"). */
export const githubActionsClaims = ['repository', 'repository_owner', 'repository_id', 'repository_owner_id', 'ref', 'ref_type', 'workflow_ref', 'job_workflow_ref', 'environment', 'event_name', 'actor', 'runner_environment'] as const
export const githubActionsIssuer = 'https://token.actions.githubusercontent.com'

const kubernetesSubject = /^system:serviceaccount:([^:]+):([^:]+)$/
/** SPIFFE ID: `spiffe://` trust domain (lower-case letters, digits, `.`, `-`, `_`) and a path of non-empty segments. */
const spiffeId = /^spiffe:\/\/([a-z0-9._-]+)((?:\/[A-Za-z0-9._-]+)+)$/
const spiffeIdPattern = /^spiffe:\/\/([a-z0-9._-]+)((?:\/[A-Za-z0-9._*-]+)+)$/

/**
 * Validates a rule as added through the admin API. `issuers` is the configured list: a rule for
 * any other issuer is IssuerUnknown. Every field problem is collected into one RequestInvalid.
 */
export function parseTrustRule(input: unknown, issuers: ReadonlySet<string>): NewTrustRule {
  const issues: string[] = []
  const body = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>
  for (const key of Object.keys(body)) if (!['issuer', 'audience', 'subject', 'claims', 'shape'].includes(key)) issues.push(`${key}: unknown field`)
  const { issuer, audience, subject, claims = {}, shape } = body
  if (typeof issuer !== 'string' || issuer.length === 0) issues.push('issuer: expected the exact `iss` of a configured issuer')
  if (typeof audience !== 'string' || audience.length === 0 || audience.includes('*')) issues.push('audience: expected one exact audience')
  const subjectProblem = patternProblem(subject)
  if (subjectProblem !== undefined) issues.push(`subject: ${subjectProblem}`)
  if (shape !== undefined && !['github-actions', 'kubernetes', 'spiffe'].includes(shape as string)) issues.push('shape: expected github-actions, kubernetes or spiffe')
  checkConditions(claims, 'claims', 1, issues, { count: 0 })
  if (issues.length > 0) throw new RequestInvalid(issues)
  const rule: NewTrustRule = { issuer: issuer as string, audience: audience as string, subject: subject as string, claims: claims as ClaimConditions, ...(shape === undefined ? {} : { shape: shape as TrustRuleShape }) }
  if (rule.shape !== undefined) checkShape(rule, issues)
  if (issues.length > 0) throw new RequestInvalid(issues)
  // Last, so that a malformed rule names its fields first; then no outbound call is ever made
  // for an issuer nobody configured.
  if (!issuers.has(rule.issuer)) throw new IssuerUnknown(rule.issuer)
  return rule
}

function checkConditions(value: unknown, path: string, depth: number, issues: string[], seen: { count: number }): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.push(`${path}: expected an object of claim patterns`)
    return
  }
  for (const [key, condition] of Object.entries(value)) {
    seen.count += 1
    if (seen.count > maxConditions) {
      issues.push(`${path}: more than ${maxConditions} conditions`)
      return
    }
    if (depth === 1 && reservedClaims.has(key)) issues.push(`${path}.${key}: checked by the broker or by "subject"; not a claim condition`)
    if (typeof condition === 'string') {
      const problem = patternProblem(condition)
      if (problem !== undefined) issues.push(`${path}.${key}: ${problem}`)
    } else if (depth < maxDepth) {
      checkConditions(condition, `${path}.${key}`, depth + 1, issues, seen)
    } else {
      issues.push(`${path}.${key}: expected a pattern string (nested at most ${maxDepth} levels)`)
    }
  }
}

function checkShape(rule: NewTrustRule, issues: string[]): void {
  switch (rule.shape) {
    // (1) GitHub Actions: `sub` is `repo:<owner>/<repo>:...`; conditions only on documented claims.
    case 'github-actions': {
      if (!rule.subject.startsWith('repo:') || rule.subject.startsWith('repo:*')) issues.push('subject: a GitHub Actions subject starts with "repo:<owner>/"')
      for (const key of Object.keys(rule.claims ?? {})) if (!(githubActionsClaims as readonly string[]).includes(key)) issues.push(`claims.${key}: not a documented GitHub Actions claim`)
      break
    }
    // (2) Kubernetes: `sub` is `system:serviceaccount:<namespace>:<name>`.
    case 'kubernetes':
      if (!kubernetesSubject.test(rule.subject)) issues.push('subject: expected system:serviceaccount:<namespace>:<name>')
      break
    // (3) SPIFFE: `sub` is a SPIFFE ID whose trust domain is literal.
    case 'spiffe':
      if (!spiffeIdPattern.test(rule.subject)) issues.push('subject: expected spiffe://<trust-domain>/<path> with a literal trust domain')
      break
    default:
      break
  }
}

/** True when every condition of `conditions` holds on `claims` (absent claims never match). */
function claimsMatch(conditions: ClaimConditions, claims: Record<string, unknown>): boolean {
  for (const [key, condition] of Object.entries(conditions)) {
    if (!Object.hasOwn(claims, key)) return false
    const value = claims[key]
    if (typeof condition === 'string') {
      if (!matchesPattern(condition, value)) return false
    } else if (typeof value !== 'object' || value === null || Array.isArray(value) || !claimsMatch(condition, value as Record<string, unknown>)) {
      return false
    }
  }
  return true
}

/**
 * Does a verified platform token satisfy the rule? `payload` has already passed signature,
 * issuer, audience and time checks; this checks the rule's audience, subject, claims and shape.
 */
export function matchesTrustRule(rule: TrustRule, payload: Record<string, unknown>): boolean {
  const audiences = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : []
  if (payload.iss !== rule.issuer || !audiences.includes(rule.audience)) return false
  if (!matchesPattern(rule.subject, payload.sub)) return false
  if (!claimsMatch(rule.claims, payload)) return false
  return rule.shape === undefined || shapeHolds(rule, payload)
}

function shapeHolds(rule: TrustRule, payload: Record<string, unknown>): boolean {
  const sub = payload.sub as string
  switch (rule.shape) {
    // (1) Kubernetes: the structured claim must name the same namespace and service account as
    //     `sub`, so a rule on either cannot be met by a token that disagrees with itself.
    case 'kubernetes': {
      const match = kubernetesSubject.exec(sub)
      const k8s = payload['kubernetes.io'] as { namespace?: unknown; serviceaccount?: { name?: unknown } } | undefined
      return match !== null && typeof k8s === 'object' && k8s !== null && k8s.namespace === match[1] && k8s.serviceaccount?.name === match[2]
    }
    // (2) SPIFFE: `sub` must be a well-formed SPIFFE ID in exactly the rule's trust domain.
    case 'spiffe': {
      const token = spiffeId.exec(sub)
      const wanted = spiffeIdPattern.exec(rule.subject)
      return token !== null && wanted !== null && token[1] === wanted[1] && !token[2]!.split('/').some((s) => s === '.' || s === '..')
    }
    // (3) GitHub Actions: `repository_owner` must agree with the owner `sub` names.
    case 'github-actions': {
      const owner = /^repo:([^/:]+)\//.exec(sub)?.[1]
      return owner !== undefined && payload.repository_owner === owner
    }
    default:
      return true
  }
}

/** A GitHub Actions rule: jobs of `repository`, optionally only on `ref` or in `environment`. */
export function githubActionsRule(input: { audience: string; repository: string; ref?: string; environment?: string; workflowRef?: string }): NewTrustRule {
  const owner = input.repository.split('/')[0] ?? input.repository
  // GitHub's `sub` is `repo:o/r:environment:e` for jobs with an environment, else `repo:o/r:ref:<ref>`.
  const subject = input.environment !== undefined ? `repo:${input.repository}:environment:${input.environment}` : `repo:${input.repository}:ref:${input.ref ?? 'refs/heads/**'}`
  return {
    issuer: githubActionsIssuer,
    audience: input.audience,
    subject,
    shape: 'github-actions',
    claims: { repository: input.repository, repository_owner: owner, ...(input.ref === undefined ? {} : { ref: input.ref }), ...(input.workflowRef === undefined ? {} : { workflow_ref: input.workflowRef }) },
  }
}

/** A Kubernetes rule: pods running as service account `serviceAccount` in `namespace`. */
export function kubernetesRule(input: { issuer: string; audience: string; namespace: string; serviceAccount: string }): NewTrustRule {
  return {
    issuer: input.issuer,
    audience: input.audience,
    subject: `system:serviceaccount:${input.namespace}:${input.serviceAccount}`,
    shape: 'kubernetes',
    claims: { 'kubernetes.io': { namespace: input.namespace, serviceaccount: { name: input.serviceAccount } } },
  }
}

/** A SPIFFE rule: JWT-SVIDs of `spiffe://<trustDomain><path>` (path may use `*` and `**`). */
export function spiffeRule(input: { issuer: string; audience: string; trustDomain: string; path: string }): NewTrustRule {
  return { issuer: input.issuer, audience: input.audience, subject: `spiffe://${input.trustDomain}${input.path.startsWith('/') ? '' : '/'}${input.path}`, shape: 'spiffe', claims: {} }
}
