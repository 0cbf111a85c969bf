/** The error catalogue: admins and roles (#18). */
import { LanyardError, type LanyardErrorOptions } from './lanyard-error.js'

/**
 * The caller is signed in, but none of its roles may do this. `requiredRoles` names the roles
 * that would be allowed (sent as the problem's `requiredRoles` member).
 */
export class RoleRequired extends LanyardError {
  override code = 'ERR_ROLE_REQUIRED' as const
  readonly requiredRoles: readonly string[]
  constructor(requiredRoles: readonly string[], options?: LanyardErrorOptions & { why?: string }) {
    super(`this needs one of the roles ${requiredRoles.join(', ')}${options?.why === undefined ? '' : ` (${options.why})`}`, options)
    this.requiredRoles = requiredRoles
  }
}

export class AdminNotFound extends LanyardError {
  override code = 'ERR_ADMIN_NOT_FOUND' as const
  constructor(subject: string, options?: LanyardErrorOptions) {
    super(`admin "${subject}" does not exist`, options)
  }
}

export class AdminExists extends LanyardError {
  override code = 'ERR_ADMIN_EXISTS' as const
  constructor(subject: string, options?: LanyardErrorOptions) {
    super(`admin "${subject}" exists already; revoke it first to issue a new token`, options)
  }
}

export const adminsErrors = [RoleRequired, AdminNotFound, AdminExists] as const
