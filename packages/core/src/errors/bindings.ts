/** The error catalogue: bindings, scopes, systems and trust rules. */
import { LanyardError, type LanyardErrorOptions } from './lanyard-error.js'

export class ScopeUnknown extends LanyardError {
  override code = 'ERR_SCOPE_UNKNOWN' as const
  readonly scope: string
  constructor(scope: string, options?: LanyardErrorOptions) {
    super(`scope "${scope}" is not known to this system`, options)
    this.scope = scope
  }
}

export class ScopeWidening extends LanyardError {
  override code = 'ERR_SCOPE_WIDENING' as const
  readonly scope: string
  constructor(scope: string, options?: LanyardErrorOptions) {
    super(`scope "${scope}" exceeds the binding ceiling`, options)
    this.scope = scope
  }
}

export class BindingNotFound extends LanyardError {
  override code = 'ERR_BINDING_NOT_FOUND' as const
  readonly handle: string
  readonly system: string
  constructor(handle: string, system: string, options?: LanyardErrorOptions) {
    super(`agent "${handle}" has no binding to system "${system}"`, options)
    this.handle = handle
    this.system = system
  }
}

/** A binding's target or ceiling was refused by its connector. */
export class BindingInvalid extends LanyardError {
  override code = 'ERR_BINDING_INVALID' as const
  readonly reason: string
  constructor(reason: string, options?: LanyardErrorOptions) {
    super(`binding is invalid: ${reason}`, options)
    this.reason = reason
  }
}

/**
 * The binding exchanges nothing: `revoked` (an admin revoked it; only a new binding, made on
 * purpose, exchanges again) or `replaced` (it changed while this exchange was in flight:
 * exchange again, under the new binding).
 */
export class BindingRevoked extends LanyardError {
  override code = 'ERR_BINDING_REVOKED' as const
  readonly handle: string
  readonly system: string
  readonly reason: 'revoked' | 'replaced'
  constructor(handle: string, system: string, reason: 'revoked' | 'replaced', options?: LanyardErrorOptions) {
    super(reason === 'revoked' ? `agent "${handle}"'s binding to system "${system}" is revoked` : `agent "${handle}"'s binding to system "${system}" changed during the exchange; exchange again`, options)
    this.handle = handle
    this.system = system
    this.reason = reason
  }
}

/** Another agent already holds an active binding to the same exclusive target (e.g. one OAuth client). */
export class BindingConflict extends LanyardError {
  override code = 'ERR_BINDING_CONFLICT' as const
  readonly system: string
  constructor(system: string, options?: LanyardErrorOptions) {
    super(`another agent is already bound to this target of system "${system}"; one target (e.g. OAuth client) serves one agent`, options)
    this.system = system
  }
}

export class SystemUnknown extends LanyardError {
  override code = 'ERR_SYSTEM_UNKNOWN' as const
  readonly system: string
  constructor(system: string, options?: LanyardErrorOptions) {
    super(`system "${system}" is not configured`, options)
    this.system = system
  }
}

/**
 * RFC 8707: a `resource` (or `audience`) that is malformed, repeated or names no system in the
 * one accepted form. Answered `invalid_target`, never `invalid_request`.
 */
export class TargetInvalid extends LanyardError {
  override code = 'ERR_TARGET_INVALID' as const
  constructor(message: string, options?: LanyardErrorOptions) {
    super(message, options)
  }
}

export class TrustRuleNotFound extends LanyardError {
  override code = 'ERR_TRUST_RULE_NOT_FOUND' as const
  readonly ruleId: string
  constructor(ruleId: string, options?: LanyardErrorOptions) {
    super(`trust rule "${ruleId}" does not exist`, options)
    this.ruleId = ruleId
  }
}

export const bindingsErrors = [ScopeUnknown, ScopeWidening, BindingNotFound, BindingInvalid, BindingRevoked, BindingConflict, SystemUnknown, TargetInvalid, TrustRuleNotFound] as const
