import { HandleInvalid } from '../errors.js'
import { normaliseIdentity } from './identity-string.js'

/** Longest handle accepted: the local part fits AWS's 64-character SourceIdentity with room. */
export const maxHandleLength = 128

const localPart = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/
const label = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

/**
 * Checks a handle (`deploy-bot@agents.acme.dev`) and returns its one form: NFKC, lower case,
 * then ASCII `local@domain`, the domain a DNS
 * name of at least two labels. Throws HandleInvalid naming the first rule broken.
 */
export function parseHandle(input: unknown): string {
  if (typeof input !== 'string' || input.length === 0) throw new HandleInvalid('expected a string like "deploy-bot@agents.acme.dev"')
  if (input.length > maxHandleLength) throw new HandleInvalid(`longer than ${maxHandleLength} characters`)
  // One form (NFKC, lower case) before the rules: `Deploy@acme.dev` is `deploy@acme.dev`.
  const normal = normaliseIdentity(input)
  if ('reason' in normal) throw new HandleInvalid(normal.reason)
  const value = normal.value
  const at = value.indexOf('@')
  if (at < 0 || at !== value.lastIndexOf('@')) throw new HandleInvalid('must contain exactly one "@"')
  const local = value.slice(0, at)
  const domain = value.slice(at + 1)
  if (!localPart.test(local)) throw new HandleInvalid('local part must be 1-64 of a-z, 0-9, ".", "_", "-", starting and ending alphanumeric')
  const labels = domain.split('.')
  if (labels.length < 2 || !labels.every((l) => label.test(l))) throw new HandleInvalid('domain must be a DNS name like "agents.acme.dev"')
  return value
}

export function isHandle(value: unknown): value is string {
  try {
    parseHandle(value)
    return true
  } catch {
    return false
  }
}
