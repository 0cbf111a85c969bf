import { InvalidArgumentError } from 'commander'

/** Commander argument parser for an integer in [min, max]. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value)
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`)
    return n
  }
}

/** Repeatable `--label k=v`, collected into one object. */
export function collectLabel(value: string, labels: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=')
  if (at <= 0) throw new InvalidArgumentError('expected key=value')
  return { ...labels, [value.slice(0, at)]: value.slice(at + 1) }
}

/** `a,b, c` -> ['a', 'b', 'c']. */
export function commaList(value: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean)
  if (items.length === 0) throw new InvalidArgumentError('expected a comma-separated list')
  return items
}

/** How every scope-list option separates its items, as its help and its errors say. */
export const scopeSeparators = 'commas or spaces (`read,write`, "read write"), or the option repeated'

/**
 * The one parser of every scope-list option (`--scope`, `--ceiling`, `--approval-scopes`): items
 * separated by commas and/or whitespace, and a repeated option adds to the list, so
 * `--scope read,write`, `--scope "read write"` and `--scope read --scope write` are the same.
 * No scope syntax of any connector holds a comma or a space. Duplicates are dropped, order kept.
 */
export function scopeList(value: string, previous: string[] = []): string[] {
  const items = value.split(/[\s,]+/).filter(Boolean)
  if (items.length === 0) throw new InvalidArgumentError(`expected one or more scopes, separated by ${scopeSeparators}`)
  return [...new Set([...previous, ...items])]
}

/** URL path segment for a handle (it holds `@`, which stays readable). */
export function handlePath(handle: string): string {
  return `/v1/agents/${encodeURIComponent(handle)}`
}
