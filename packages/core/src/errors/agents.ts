/** The error catalogue: agents, their handles and keys. */
import { LanyardError, type LanyardErrorOptions } from './lanyard-error.js'

/** A handle is not lower-case `local@domain`. */
export class HandleInvalid extends LanyardError {
  override code = 'ERR_HANDLE_INVALID' as const
  readonly reason: string
  constructor(reason: string, options?: LanyardErrorOptions) {
    super(`handle is invalid: ${reason}`, options)
    this.reason = reason
  }
}

export class AgentNotFound extends LanyardError {
  override code = 'ERR_AGENT_NOT_FOUND' as const
  readonly handle: string
  constructor(handle: string, options?: LanyardErrorOptions) {
    super(`agent "${handle}" does not exist`, options)
    this.handle = handle
  }
}

export class AgentExists extends LanyardError {
  override code = 'ERR_AGENT_EXISTS' as const
  readonly handle: string
  constructor(handle: string, options?: LanyardErrorOptions) {
    super(`agent "${handle}" already exists`, options)
    this.handle = handle
  }
}

/** The agent is suspended or revoked, or its generation moved past the token presented. */
export class AgentNotActive extends LanyardError {
  override code = 'ERR_AGENT_NOT_ACTIVE' as const
  readonly handle: string
  readonly status: string
  constructor(handle: string, status: string, options?: LanyardErrorOptions) {
    super(`agent "${handle}" is ${status}`, options)
    this.handle = handle
    this.status = status
  }
}

/** A public key that cannot be registered (private material, unsupported curve or type). */
export class KeyInvalid extends LanyardError {
  override code = 'ERR_KEY_INVALID' as const
  readonly reason: string
  constructor(reason: string, options?: LanyardErrorOptions) {
    super(`key is invalid: ${reason}`, options)
    this.reason = reason
  }
}

/** The agent has no key with that `kid`. */
export class KeyNotFound extends LanyardError {
  override code = 'ERR_KEY_NOT_FOUND' as const
  readonly handle: string
  readonly kid: string
  constructor(handle: string, kid: string, options?: LanyardErrorOptions) {
    super(`agent "${handle}" has no key "${kid}"`, options)
    this.handle = handle
    this.kid = kid
  }
}

export const agentsErrors = [HandleInvalid, AgentNotFound, AgentExists, AgentNotActive, KeyInvalid, KeyNotFound] as const
