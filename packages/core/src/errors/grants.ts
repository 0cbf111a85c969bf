/** The error catalogue: grants, revocations, rate limits, webhooks and presence. */
import { LanyardError, type LanyardErrorOptions } from './lanyard-error.js'

export class GrantNotFound extends LanyardError {
  override code = 'ERR_GRANT_NOT_FOUND' as const
  readonly grantId: string
  constructor(grantId: string, options?: LanyardErrorOptions) {
    super(`grant "${grantId}" does not exist`, options)
    this.grantId = grantId
  }
}

/**
 * A grant was settled that is no longer `pending`: a reconciler and a slow exchange raced, and
 * the first settlement stands. The rule is core's grant status machine (exchange/grant-status.ts).
 */
export class GrantNotPending extends LanyardError {
  override code = 'ERR_GRANT_NOT_PENDING' as const
  readonly grantId: string
  readonly status: string
  constructor(grantId: string, status: string, options?: LanyardErrorOptions) {
    super(`grant "${grantId}" is ${status}, no longer pending`, options)
    this.grantId = grantId
    this.status = status
  }
}

export class RevocationNotFound extends LanyardError {
  override code = 'ERR_REVOCATION_NOT_FOUND' as const
  readonly revocationId: string
  constructor(revocationId: string, options?: LanyardErrorOptions) {
    super(`revocation "${revocationId}" does not exist`, options)
    this.revocationId = revocationId
  }
}

/** A receipt was asked of a revocation that still has tasks to work. */
export class RevocationRunning extends LanyardError {
  override code = 'ERR_REVOCATION_RUNNING' as const
  readonly revocationId: string
  constructor(revocationId: string, options?: LanyardErrorOptions) {
    super(`revocation "${revocationId}" is still running; its receipt comes when every task is done`, options)
    this.revocationId = revocationId
  }
}

export class RateLimited extends LanyardError {
  override code = 'ERR_RATE_LIMITED' as const
  readonly retryAfterSeconds: number
  constructor(retryAfterSeconds: number, options?: LanyardErrorOptions) {
    super(`rate limit exceeded; retry after ${retryAfterSeconds} s`, options)
    this.retryAfterSeconds = retryAfterSeconds
  }
}

export class WebhookNotFound extends LanyardError {
  override code = 'ERR_WEBHOOK_NOT_FOUND' as const
  readonly webhookId: string
  constructor(webhookId: string, options?: LanyardErrorOptions) {
    super(`webhook "${webhookId}" does not exist`, options)
    this.webhookId = webhookId
  }
}

/**
 * No public agent answers at this handle. One message for an unknown handle and for an agent
 * whose presence is private, so the public presence routes cannot be used to enumerate agents.
 */
export class PresenceNotFound extends LanyardError {
  override code = 'ERR_PRESENCE_NOT_FOUND' as const
  readonly handle: string
  constructor(handle: string, options?: LanyardErrorOptions) {
    // The handle stays out of the message: the answer is byte-identical whichever handle was asked.
    super('no public agent answers at this handle', options)
    this.handle = handle
  }
}

export const grantsErrors = [GrantNotFound, GrantNotPending, RevocationNotFound, RevocationRunning, RateLimited, WebhookNotFound, PresenceNotFound] as const
