import { ScopeUnknown, ScopeWidening } from '@lanyard/core'
import type { ScopeCatalogue, ScopeSet } from '@lanyard/core'

/** A catalogue from a predicate (or a pattern) and a few examples for messages and docs. */
export function defineScopes(isKnown: RegExp | ((scope: string) => boolean), examples: readonly string[]): ScopeCatalogue {
  const test = isKnown instanceof RegExp ? (scope: string) => isKnown.test(scope) : isKnown
  return { isKnown: test, examples }
}

export interface NarrowOptions {
  readonly catalogue: ScopeCatalogue
  /**
   * Whether ceiling item `granted` covers requested item `wanted`. Default: equality. GitHub
   * uses it for levels (`contents:write` covers `contents:read`).
   */
  readonly covers?: (granted: string, wanted: string) => boolean
}

/**
 * The default `narrow`: every requested item must be known (ScopeUnknown) and covered by some
 * ceiling item (ScopeWidening, naming the first offending item). Returns the requested items,
 * de-duplicated, in request order. Pure.
 */
export function narrowScopes(ceiling: ScopeSet, requested: ScopeSet, options: NarrowOptions): ScopeSet {
  const covers = options.covers ?? ((granted, wanted) => granted === wanted)
  const narrowed: string[] = []
  for (const wanted of requested) {
    if (!options.catalogue.isKnown(wanted)) throw new ScopeUnknown(wanted)
    if (!ceiling.some((granted) => covers(granted, wanted))) throw new ScopeWidening(wanted)
    if (!narrowed.includes(wanted)) narrowed.push(wanted)
  }
  return narrowed
}
