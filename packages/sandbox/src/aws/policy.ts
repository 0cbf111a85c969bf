import { malformedPolicy } from './errors.js'

/**
 * IAM policy documents: parsed and checked the way IAM checks them when they are stored or
 * passed as a session policy, and evaluated the way AWS evaluates a request (explicit deny wins,
 * otherwise every policy layer has to allow). Covers the grammar the connector and its tests
 * use: Action/NotAction, Resource/NotResource, Principal, and the String*, Date* and Null
 * condition operators with their IfExists forms.
 */

export type Decision = 'allowed' | 'explicitDeny' | 'implicitDeny'

export interface Statement {
  effect: 'Allow' | 'Deny'
  actions?: string[]
  notActions?: string[]
  resources?: string[]
  notResources?: string[]
  principals?: Record<string, string[]>
  conditions: Condition[]
}

export interface Condition {
  operator: string
  key: string
  values: string[]
}

export interface Policy {
  statements: Statement[]
  /** The document as given, for GetRolePolicy. */
  text: string
  /** Size as IAM counts it: the document without white space. */
  size: number
}

/** What a request brings to evaluation; condition keys are matched case-insensitively. */
export interface RequestContext {
  action: string
  resource?: string
  /** The caller, for trust policies: principal type (`AWS`, `Federated`) and ARN. */
  principal?: { type: string; arn: string }
  keys: Record<string, string | undefined>
}

export type PolicyKind = 'identity' | 'trust' | 'session'

const VERSIONS = new Set(['2012-10-17', '2008-10-17'])
const STATEMENT_FIELDS = new Set([
  'Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition',
])
const OPERATORS = new Set([
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike',
  'StringNotLike', 'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan',
  'DateGreaterThanEquals', 'Null',
])

/** Parses and validates a policy document; throws MalformedPolicyDocument with IAM's wording. */
export function parsePolicy(text: string, kind: PolicyKind): Policy {
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch {
    throw malformedPolicy('Syntax errors in policy.')
  }
  if (!isRecord(document)) throw malformedPolicy('Syntax errors in policy.')
  for (const field of Object.keys(document)) {
    if (field !== 'Version' && field !== 'Id' && field !== 'Statement') throw malformedPolicy('Syntax errors in policy.')
  }
  if (document['Version'] !== undefined && !VERSIONS.has(String(document['Version']))) {
    throw malformedPolicy('The policy must contain a valid version string')
  }
  const raw = document['Statement']
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]
  if (list.length === 0) throw malformedPolicy('Syntax errors in policy.')
  return { statements: list.map((entry) => parseStatement(entry, kind)), text, size: text.replace(/\s/g, '').length }
}

function parseStatement(entry: unknown, kind: PolicyKind): Statement {
  if (!isRecord(entry)) throw malformedPolicy('Syntax errors in policy.')
  for (const field of Object.keys(entry)) {
    if (!STATEMENT_FIELDS.has(field)) throw malformedPolicy('Syntax errors in policy.')
  }
  const effect = entry['Effect']
  if (effect !== 'Allow' && effect !== 'Deny') throw malformedPolicy('Invalid effect: ' + String(effect))
  const actions = stringList(entry['Action'])
  const notActions = stringList(entry['NotAction'])
  if (!actions === !notActions) throw malformedPolicy('Policy statement must contain actions.')
  const statement: Statement = { effect, conditions: parseConditions(entry['Condition']) }
  if (actions) statement.actions = actions
  if (notActions) statement.notActions = notActions

  if (kind === 'trust') {
    if (entry['Principal'] === undefined) throw malformedPolicy('AssumeRolepolicy contained an invalid principal element')
    statement.principals = parsePrincipal(entry['Principal'])
    return statement
  }
  if (entry['Principal'] !== undefined || entry['NotPrincipal'] !== undefined) {
    throw malformedPolicy('Policy document should not specify a principal.')
  }
  const resources = stringList(entry['Resource'])
  const notResources = stringList(entry['NotResource'])
  if (!resources === !notResources) throw malformedPolicy('Policy statement must contain resources.')
  if (resources) statement.resources = resources
  if (notResources) statement.notResources = notResources
  return statement
}

function parsePrincipal(value: unknown): Record<string, string[]> {
  if (value === '*') return { '*': ['*'] }
  if (!isRecord(value)) throw malformedPolicy('Invalid principal in policy')
  const principals: Record<string, string[]> = {}
  for (const [type, ids] of Object.entries(value)) {
    const list = stringList(ids)
    if (!list) throw malformedPolicy('Invalid principal in policy')
    principals[type] = list
  }
  return principals
}

function parseConditions(value: unknown): Condition[] {
  if (value === undefined) return []
  if (!isRecord(value)) throw malformedPolicy('Syntax errors in policy.')
  const conditions: Condition[] = []
  for (const [operator, block] of Object.entries(value)) {
    const base = operator.endsWith('IfExists') ? operator.slice(0, -'IfExists'.length) : operator
    if (!OPERATORS.has(base) || (base === 'Null' && base !== operator)) {
      throw malformedPolicy(`Invalid Condition type : ${operator}`)
    }
    if (!isRecord(block)) throw malformedPolicy('Syntax errors in policy.')
    for (const [key, raw] of Object.entries(block)) {
      const values = stringList(raw)
      if (!values) throw malformedPolicy('Syntax errors in policy.')
      if (base.startsWith('Date') && values.some((v) => Number.isNaN(parseDate(v)))) {
        throw malformedPolicy(`Invalid date in condition ${operator}`)
      }
      conditions.push({ operator, key: key.toLowerCase(), values })
    }
  }
  return conditions
}

/** IAM accepts a string or an array of strings (numbers and booleans as written) wherever a list goes. */
function stringList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined
  const list = Array.isArray(value) ? value : [value]
  if (list.length === 0) return undefined
  if (list.some((v) => typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')) {
    throw malformedPolicy('Syntax errors in policy.')
  }
  return list.map(String)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * One decision over several policy layers. An explicit deny in any layer wins; otherwise every
 * layer needs a matching Allow (a session policy only ever narrows the role's own
 * permissions, it never adds to them).
 */
export function evaluate(layers: Policy[][], request: RequestContext): Decision {
  const all = layers.flat()
  if (all.some((policy) => policy.statements.some((s) => s.effect === 'Deny' && matches(s, request)))) {
    return 'explicitDeny'
  }
  const allowedByEveryLayer = layers.every((layer) =>
    layer.some((policy) => policy.statements.some((s) => s.effect === 'Allow' && matches(s, request))),
  )
  return allowedByEveryLayer ? 'allowed' : 'implicitDeny'
}

function matches(statement: Statement, request: RequestContext): boolean {
  const action = request.action
  if (statement.actions && !statement.actions.some((p) => wildcard(p, action, true))) return false
  if (statement.notActions?.some((p) => wildcard(p, action, true))) return false
  if (request.resource !== undefined) {
    const resource = request.resource
    if (statement.resources && !statement.resources.some((p) => wildcard(p, resource, false))) return false
    if (statement.notResources?.some((p) => wildcard(p, resource, false))) return false
  }
  if (statement.principals && !principalMatches(statement.principals, request.principal)) return false
  return statement.conditions.every((condition) => conditionHolds(condition, request.keys))
}

function principalMatches(principals: Record<string, string[]>, caller: RequestContext['principal']): boolean {
  if (principals['*']) return true
  if (!caller) return false
  const ids = principals[caller.type] ?? []
  return ids.some((id) => {
    if (id === '*' || id === caller.arn) return true
    // An account (`123456789012` or `arn:aws:iam::123456789012:root`) stands for every principal in it.
    const account = /^(?:arn:aws:iam::)?(\d{12})(?::root)?$/.exec(id)?.[1]
    return caller.type === 'AWS' && account !== undefined && caller.arn.split(':')[4] === account
  })
}

function conditionHolds(condition: Condition, keys: Record<string, string | undefined>): boolean {
  const actual = lookup(keys, condition.key)
  const ifExists = condition.operator.endsWith('IfExists')
  const operator = ifExists ? condition.operator.slice(0, -'IfExists'.length) : condition.operator
  if (operator === 'Null') return condition.values.some((v) => (v === 'true') === (actual === undefined))
  const negated = operator.includes('Not')
  // A key missing from the request: IfExists passes, a negated operator holds, anything else fails.
  if (actual === undefined) return ifExists || negated
  const hit = condition.values.some((expected) => compare(operator.replace('Not', ''), actual, expected))
  // Several values are OR-ed; under a negated operator that makes "equals none of them".
  return negated ? !hit : hit
}

function compare(operator: string, actual: string, expected: string): boolean {
  switch (operator) {
    case 'StringEquals':
      return actual === expected
    case 'StringEqualsIgnoreCase':
      return actual.toLowerCase() === expected.toLowerCase()
    case 'StringLike':
      return wildcard(expected, actual, false)
    default: {
      const a = parseDate(actual)
      const e = parseDate(expected)
      if (Number.isNaN(a)) return false
      if (operator === 'DateEquals') return a === e
      if (operator === 'DateLessThan') return a < e
      if (operator === 'DateLessThanEquals') return a <= e
      if (operator === 'DateGreaterThan') return a > e
      return a >= e
    }
  }
}

function lookup(keys: Record<string, string | undefined>, key: string): string | undefined {
  for (const [name, value] of Object.entries(keys)) if (name.toLowerCase() === key) return value
  return undefined
}

/** IAM dates: ISO 8601, or epoch seconds. */
function parseDate(value: string): number {
  return /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value)
}

/** `*` and `?` as IAM uses them in actions, resources and StringLike. Actions ignore case. */
export function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value)
}
