import type { z } from 'zod'

/**
 * Zod's issues in words for a person: what was expected, what was found, and the likely fix
 * where one is known (the nearest known field for a misspelt one). Secret values never reach
 * here: secret references are `{ env }` / `{ file }` objects, and a value found where one was
 * expected is described by its type alone.
 */
export function describeIssue(issue: z.core.$ZodIssue, schema: z.ZodType): string {
  const at = formatPath(issue.path)
  return `${at}: ${explain(issue, schema)}`
}

function explain(issue: z.core.$ZodIssue, schema: z.ZodType): string {
  const got = 'input' in issue ? describeValue(issue.input) : undefined
  const gotText = got === undefined ? '' : `, got ${got}`
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? `required (expected ${article(issue.expected)})` : `expected ${article(issue.expected)}${gotText}`
    case 'too_small':
      if (issue.origin === 'number' || issue.origin === 'int') return `expected ${issue.inclusive === false ? 'more than' : 'at least'} ${String(issue.minimum)}${gotText}`
      return `too short: expected at least ${String(issue.minimum)} ${issue.origin === 'array' ? 'item(s)' : 'character(s)'}${gotText}`
    case 'too_big':
      if (issue.origin === 'number' || issue.origin === 'int') return `expected ${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}${gotText}`
      return `too long: expected at most ${String(issue.maximum)} ${issue.origin === 'array' ? 'item(s)' : 'character(s)'}`
    case 'invalid_value':
      return `expected ${issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`}${gotText}`
    case 'unrecognized_keys':
      return issue.keys.map((key) => unknownKey(key, knownKeys(schema, issue.path))).join('; ')
    case 'invalid_union':
      if (looksLikeSecretRef(issue.input)) return `expected a secret reference, { env: NAME } or { file: PATH }, with one of the two${gotText}`
      return `${issue.message}${gotText}`
    case 'invalid_format':
      return `${issue.message.startsWith('expected') ? issue.message : `expected a valid ${issue.format}`}${gotText}`
    case 'custom':
      // A schema's own refinement: its message is already written for a person.
      return issue.message
    default:
      return `${issue.message}${gotText}`
  }
}

function unknownKey(key: string, known: readonly string[]): string {
  const nearest = closest(key, known)
  return `unknown field "${key}"${nearest === undefined ? (known.length > 0 ? ` (known here: ${known.join(', ')})` : '') : `: did you mean "${nearest}"?`}`
}

/** A value as the error shows it: strings and numbers as written (short), anything else by its type. */
function describeValue(value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (value === null) return 'null'
  return Array.isArray(value) ? 'a list' : 'an object'
}

function article(type: string): string {
  const words: Record<string, string> = { number: 'a number', string: 'a string', boolean: 'true or false', object: 'an object (a mapping)', array: 'a list', int: 'an integer' }
  return words[type] ?? type
}

function looksLikeSecretRef(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && ('env' in value || 'file' in value)
}

/** The field names the schema allows at `path` (objects inside optional, default, arrays). */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: unknown = schema
  for (const key of [...path, undefined]) {
    // Unwrap optional / default / prefault / nullable / pipe to the object or array inside.
    for (let i = 0; i < 8; i++) {
      const def = (node as { _zod?: { def?: Record<string, unknown> } })._zod?.def
      if (def === undefined) return []
      if (def.innerType !== undefined) node = def.innerType
      else if (def.type === 'pipe') node = def.in
      else break
    }
    const def = (node as { _zod: { def: Record<string, unknown> } })._zod.def
    if (key === undefined) return def.type === 'object' ? Object.keys(def.shape as object) : []
    if (def.type === 'array' && typeof key === 'number') node = def.element
    else if (def.type === 'object' && typeof key === 'string') node = (def.shape as Record<string, unknown>)[key]
    else return []
    if (node === undefined) return []
  }
  return []
}

/** The known name nearest `key` by edit distance, when near enough to be a typo. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase())
    if (best === undefined || distance < best.distance) best = { name, distance }
  }
  return best !== undefined && best.distance <= Math.max(2, Math.floor(key.length / 3)) ? best.name : undefined
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = current
  }
  return previous[b.length]!
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '') || '(root)'
}
