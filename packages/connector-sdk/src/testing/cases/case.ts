import type { ConformanceContext } from '../context.js'

/** One rule of the contract, checked against a live context. Throws ConformanceFailure when broken. */
export interface ConformanceCase {
  /** Stable: shown as the test name and used by reports. */
  readonly name: string
  /**
   * Optional cases follow declared capabilities only (a `probe` member, an `upstream.expire`):
   * returns why the case does not apply, or undefined. There is no opt-out by name.
   */
  readonly appliesUnless?: (ctx: ConformanceContext) => string | undefined
  readonly run: (ctx: ConformanceContext, note: (message: string) => void) => Promise<void>
}
