import type { ConnectorInstance, LanyardErrorCode, ScopeSet } from '@lanyard/core'
import type { ConformanceContext } from '../context.js'
import { ConformanceFailure, describeThrown, ensure, ensureRefusal } from '../failure.js'
import type { ConformanceCase } from './case.js'

const show = (scopes: ScopeSet) => `[${scopes.map((s) => JSON.stringify(s)).join(', ')}]`

/** narrow with frozen inputs: a connector that mutates the ceiling or request throws here. */
function narrowFrozen(instance: ConnectorInstance, ceiling: ScopeSet, requested: ScopeSet): ScopeSet {
  return instance.narrow(Object.freeze([...ceiling]), Object.freeze([...requested]))
}

function refusalOf(instance: ConnectorInstance, ceiling: ScopeSet, requested: ScopeSet): unknown {
  try {
    narrowFrozen(instance, ceiling, requested)
  } catch (error) {
    return error
  }
  throw new ConformanceFailure(`narrow(${show(ceiling)}, ${show(requested)}) succeeded; it must throw`)
}

/**
 * The invariant every successful narrow must keep: an array of distinct strings, each one asked
 * for or in the ceiling (nothing invented), and itself accepted by the same ceiling (within it).
 */
function ensureWithin(instance: ConnectorInstance, ceiling: ScopeSet, requested: ScopeSet): ScopeSet {
  const what = `narrow(${show(ceiling)}, ${show(requested)})`
  let result: ScopeSet
  try {
    result = narrowFrozen(instance, ceiling, requested)
  } catch (error) {
    throw new ConformanceFailure(`${what} threw ${describeThrown(error)}; the request is inside the ceiling`, { cause: error })
  }
  ensure(Array.isArray(result) && result.every((item) => typeof item === 'string'), `${what} must return an array of strings`)
  ensure(new Set(result).size === result.length, `${what} returned duplicates: ${show(result)}`)
  const invented = result.filter((item) => !requested.includes(item) && !ceiling.includes(item))
  ensure(invented.length === 0, `${what} returned items neither requested nor in the ceiling: ${show(invented)}`)
  try {
    narrowFrozen(instance, ceiling, result)
  } catch (error) {
    throw new ConformanceFailure(`${what} returned ${show(result)}, which the same ceiling then refuses (${describeThrown(error)}): the result is not within the ceiling`, { cause: error })
  }
  return result
}

/** The ceilings of the table: the binding's, the narrower request used as a ceiling, and none. */
function ceilingsOf(ctx: ConformanceContext): ScopeSet[] {
  return [ctx.setup.ceiling, ctx.setup.requests.narrower, []]
}

/** Every ceiling row x each item alone and beside a granted item must be refused with `code`, naming the item. */
function ensureTableRefuses(ctx: ConformanceContext, items: ScopeSet, code: LanyardErrorCode): void {
  for (const ceilingRow of ceilingsOf(ctx)) {
    for (const item of items) {
      ensureRefusal(refusalOf(ctx.instance, ceilingRow, [item]), code, item, `narrow(${show(ceilingRow)}, ["${item}"])`)
      // Beside a granted item (under an empty ceiling nothing is granted, so that row has no mix).
      if (ceilingRow.length === 0) continue
      const mixed = [...ctx.setup.requests.narrower.slice(0, 1), item]
      ensureRefusal(refusalOf(ctx.instance, ceilingRow, mixed), code, item, `narrow(${show(ceilingRow)}, ${show(mixed)})`)
    }
  }
}

export const narrowCases: readonly ConformanceCase[] = [
  {
    name: 'narrow: setup examples agree with the scope catalogue',
    async run(ctx) {
      const { ceiling, requests } = ctx.setup
      ensure(ceiling.length > 0 && requests.narrower.length > 0, 'setup.ceiling and setup.requests.narrower must not be empty')
      ensure(requests.wider.length > 0 && requests.unknown.length > 0, 'setup.requests.wider and setup.requests.unknown need at least one item each')
      for (const item of [...ceiling, ...requests.narrower, ...requests.wider]) ensure(ctx.connector.scopes.isKnown(item), `scopes.isKnown(${JSON.stringify(item)}) is false, but setup uses it as a known item`)
      for (const item of requests.unknown) ensure(!ctx.connector.scopes.isKnown(item), `scopes.isKnown(${JSON.stringify(item)}) is true, but setup lists it as unknown`)
      ensure(Array.isArray(ctx.connector.scopes.examples) && ctx.connector.scopes.examples.length > 0, 'scopes.examples must list a few items for messages and docs')
    },
  },
  {
    name: 'narrow: an empty request narrows to nothing',
    async run(ctx) {
      for (const ceiling of ceilingsOf(ctx)) {
        const result = narrowFrozen(ctx.instance, ceiling, [])
        ensure(Array.isArray(result) && result.length === 0, `narrow(${show(ceiling)}, []) returned ${show(result)}; expected []`)
      }
    },
  },
  {
    name: 'narrow: requests inside the ceiling stay inside it',
    async run(ctx) {
      const { ceiling, requests } = ctx.setup
      ensureWithin(ctx.instance, ceiling, ceiling)
      ensureWithin(ctx.instance, ceiling, requests.narrower)
      ensureWithin(ctx.instance, requests.narrower, requests.narrower)
      ensureWithin(ctx.instance, ceiling, [...requests.narrower, ...requests.narrower])
      for (const item of ceiling) ensureWithin(ctx.instance, ceiling, [item])
    },
  },
  {
    name: 'narrow: never widens (ceilings x wider requests => ScopeWidening naming the item)',
    async run(ctx) {
      ensureTableRefuses(ctx, ctx.setup.requests.wider, 'ERR_SCOPE_WIDENING')
      for (const item of ctx.setup.ceiling) ensureRefusal(refusalOf(ctx.instance, [], [item]), 'ERR_SCOPE_WIDENING', item, `narrow([], ["${item}"])`)
    },
  },
  {
    name: 'narrow: unknown items are ScopeUnknown naming the item, whatever the ceiling',
    async run(ctx) {
      const { ceiling, requests } = ctx.setup
      ensureTableRefuses(ctx, requests.unknown, 'ERR_SCOPE_UNKNOWN')
      // An unknown item in the ceiling grants nothing: it must not let itself be requested.
      for (const item of requests.unknown) ensureRefusal(refusalOf(ctx.instance, [...ceiling, item], [item]), 'ERR_SCOPE_UNKNOWN', item, `narrow(ceiling + ["${item}"], ["${item}"])`)
    },
  },
  {
    name: 'narrow: pure (same answer twice, inputs untouched)',
    async run(ctx) {
      const { ceiling, requests } = ctx.setup
      const first = narrowFrozen(ctx.instance, ceiling, requests.narrower)
      const second = narrowFrozen(ctx.instance, ceiling, requests.narrower)
      ensure(JSON.stringify(first) === JSON.stringify(second), `narrow gave ${show(first)} then ${show(second)} for the same input`)
    },
  },
]
