import { type AwsSandboxError, idpRejectedClaim, missingParameter, validationError } from './errors.js'

/**
 * STS parameter rules shared by AssumeRole (request parameters) and AssumeRoleWithWebIdentity
 * (the same values carried as token claims). Limits are the STS API reference's.
 */

export const LIMITS = {
  durationMinSeconds: 900,
  durationMaxSeconds: 43_200,
  durationDefaultSeconds: 3600,
  policyMaxChars: 2048,
  tagsMax: 50,
  tagKeyMaxChars: 128,
  tagValueMaxChars: 256,
}

/** Builds the error for a value that breaks a constraint. */
export type Reject = (value: string, field: string, constraint: string) => AwsSandboxError

const NAME_PATTERN = /^[\w+=,.@-]*$/
const TAG_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u

/** For values that came in a token claim rather than a parameter. */
export const rejectClaim: Reject = (_value, field, constraint) =>
  idpRejectedClaim(`The ${field} claim was rejected: ${constraint}`)

export function checkString(
  value: string,
  field: string,
  limits: { min: number; max: number; pattern: RegExp; patternText?: string },
  reject: Reject = validationError,
): string {
  if (value.length < limits.min) throw reject(value, field, `Member must have length greater than or equal to ${limits.min}`)
  if (value.length > limits.max) throw reject(value, field, `Member must have length less than or equal to ${limits.max}`)
  if (!limits.pattern.test(value)) {
    throw reject(value, field, `Member must satisfy regular expression pattern: ${limits.patternText ?? limits.pattern.source}`)
  }
  return value
}

/** RoleSessionName and SourceIdentity: 2..64 characters of [\w+=,.@-]. */
export function checkName(value: string, field: string, reject: Reject = validationError): string {
  return checkString(value, field, { min: 2, max: 64, pattern: NAME_PATTERN, patternText: '[\\w+=,.@-]*' }, reject)
}

export function checkSourceIdentity(value: string, reject: Reject = validationError): string {
  return checkName(value, 'sourceIdentity', reject)
}

/**
 * Session tags: at most 50, keys 1..128 and values 0..256 characters of letters, digits, spaces
 * and `_.:/=+-@`, keys unique ignoring case, no `aws:` prefix; transitive keys name session tags.
 */
export function checkTags(
  tags: Record<string, string>,
  transitiveTagKeys: string[],
  reject: (message: string) => AwsSandboxError,
): void {
  const entries = Object.entries(tags)
  if (entries.length > LIMITS.tagsMax) throw reject(`A maximum of ${LIMITS.tagsMax} session tags is allowed.`)
  const seen = new Set<string>()
  for (const [key, value] of entries) {
    if (key.length < 1 || key.length > LIMITS.tagKeyMaxChars || !TAG_PATTERN.test(key) || key.toLowerCase().startsWith('aws:')) {
      throw reject(`Invalid session tag key: ${key}`)
    }
    if (value.length > LIMITS.tagValueMaxChars || !TAG_PATTERN.test(value)) throw reject(`Invalid value for session tag ${key}`)
    if (seen.has(key.toLowerCase())) throw reject(`Duplicate tag keys found. Tag keys are case-insensitive: ${key}`)
    seen.add(key.toLowerCase())
  }
  if (transitiveTagKeys.length > LIMITS.tagsMax) throw reject(`A maximum of ${LIMITS.tagsMax} transitive tag keys is allowed.`)
  for (const key of transitiveTagKeys) {
    if (!Object.hasOwn(tags, key)) throw reject(`The transitive tag key ${key} is not one of the session tags.`)
  }
}

/** A parameter the action cannot do without; empty counts as missing. */
export function required(params: URLSearchParams, name: string): string {
  const value = params.get(name)
  if (value === null || value === '') throw missingParameter(name)
  return value
}
