import { errorClasses, isLanyardError } from '@lanyard/core'
import type { AnyLanyardError, LanyardErrorCode } from '@lanyard/core'

/** A conformance case found the connector breaking the contract. The message says which rule. */
export class ConformanceFailure extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ConformanceFailure'
  }
}

export function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ConformanceFailure(message)
}

/** Describes a thrown value for a failure message without printing its text (it may hold a secret). */
export function describeThrown(error: unknown): string {
  if (isLanyardError(error)) return `${error.name} (${error.code})`
  if (error instanceof Error) return `${error.name} (not a LanyardError)`
  return `a thrown ${typeof error} (not an Error)`
}

/**
 * True when `error` is an instance of a class in the core catalogue, not merely something with
 * a `code`: the broker maps errors by class and code, and a look-alike would be sent as 500.
 */
export function isCatalogueError(error: unknown): error is AnyLanyardError {
  return isLanyardError(error) && errorClasses.some((errorClass) => error.constructor === errorClass)
}

/** Runs `action` and returns what it threw, or fails when it resolved. */
export async function thrownBy(action: () => unknown, what: string): Promise<unknown> {
  try {
    await action()
  } catch (error) {
    return error
  }
  throw new ConformanceFailure(`${what} resolved; it must throw`)
}

/** Checks `error` is the catalogue class with `code` and that its message names `item` in quotes. */
export function ensureRefusal(error: unknown, code: LanyardErrorCode, item: string, what: string): void {
  ensure(isCatalogueError(error), `${what} threw ${describeThrown(error)}; expected ${code}`)
  ensure(error.code === code, `${what} threw ${error.code}; expected ${code}`)
  ensure(error.message.includes(`"${item}"`), `${what}: the ${code} message must name the offending item "${item}", got: ${error.message}`)
}
