/**
 * Claim patterns of trust rules: exact, or an anchored glob matched segment by segment, where
 * segments are separated by `/` or `:`.
 *
 * - `*` matches one or more characters inside one segment: never a `/` or a `:`. So
 *   `repo:acme/*` matches `repo:acme/api` but never `repo:acme-evil/x` (the literal `acme/`
 *   must be followed by the separator) nor `repo:acme/api:ref:refs/heads/main` (`*` stops at `:`).
 * - `**` matches one or more characters, separators included. It is for the tail of a value
 *   whose length varies (`acme/api/.github/workflows/deploy.yml@**` for any ref).
 * - Every other character is literal, including regex metacharacters and `?`.
 *
 * Matching is anchored at both ends and case-sensitive; there is no prefix or case folding.
 */

/** Longest pattern accepted; GitHub's longest documented claim (job_workflow_ref) is far below. */
export const maxPatternLength = 512

const compiled = new Map<string, RegExp>()
const compiledCacheSize = 1_000

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** The regular expression of a pattern, cached (patterns are few; values are many). */
function compile(pattern: string): RegExp {
  let regex = compiled.get(pattern)
  if (regex !== undefined) return regex
  const source = pattern
    .split('**')
    .map((part) => part.split('*').map(escape).join('[^/:]+'))
    .join('.+')
  regex = new RegExp(`^${source}$`, 'su')
  if (compiled.size >= compiledCacheSize) compiled.delete(compiled.keys().next().value as string)
  compiled.set(pattern, regex)
  return regex
}

/** True when `value` matches `pattern` (see the module comment). Non-strings never match. */
export function matchesPattern(pattern: string, value: unknown): boolean {
  if (typeof value !== 'string') return false
  if (!pattern.includes('*')) return pattern === value
  return compile(pattern).test(value)
}

/** Why a pattern is refused, or undefined when it is usable. */
export function patternProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string' || pattern.length === 0) return 'expected a non-empty string'
  if (pattern.length > maxPatternLength) return `longer than ${maxPatternLength} characters`
  if (pattern.includes('***')) return '"***" is ambiguous; use "*" (one segment) or "**" (any run)'
  if (/^\*+$/.test(pattern)) return 'a pattern of wildcards only matches anything; name at least one literal part'
  return undefined
}
