/**
 * The error catalogue: every refusal Lanyard makes, one class per stable `code`, kept by area
 * in ./errors/. How to add a code: ./errors/lanyard-error.ts.
 */
import { LanyardError } from './errors/lanyard-error.js'
import { agentsErrors } from './errors/agents.js'
import { tokensErrors } from './errors/tokens.js'
import { bindingsErrors } from './errors/bindings.js'
import { grantsErrors } from './errors/grants.js'
import { infrastructureErrors } from './errors/infrastructure.js'
import { approvalsErrors } from './errors/approvals.js'
import { adminsErrors } from './errors/admins.js'
import { delegationErrors } from './errors/delegation.js'

export * from './errors/lanyard-error.js'
export * from './errors/agents.js'
export * from './errors/tokens.js'
export * from './errors/bindings.js'
export * from './errors/grants.js'
export * from './errors/infrastructure.js'
export * from './errors/approvals.js'
export * from './errors/admins.js'
export * from './errors/delegation.js'

/** Every class in the catalogue, for the catalogue integrity test. */
export const errorClasses = [...agentsErrors, ...tokensErrors, ...bindingsErrors, ...grantsErrors, ...infrastructureErrors, ...approvalsErrors, ...adminsErrors, ...delegationErrors] as const

export type AnyLanyardError = InstanceType<(typeof errorClasses)[number]>

export function isLanyardError(value: unknown): value is AnyLanyardError {
  return value instanceof LanyardError
}

/** Retryable is a property of the code, never of who threw it. */
export function isRetryable(error: unknown): boolean {
  return isLanyardError(error) && (error.code === 'ERR_UPSTREAM_UNAVAILABLE' || error.code === 'ERR_STORE_UNAVAILABLE' || error.code === 'ERR_RATE_LIMITED' || error.code === 'ERR_ISSUER_UNAVAILABLE')
}
