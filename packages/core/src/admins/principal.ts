/**
 * Admin principals (#18): the people who call `/v1`, each with roles, and the console sessions
 * they sign in with. Tokens and session ids are never kept: only their SHA-256.
 */

/** Every role, in order of reach. `admin` can do everything; see README "Admins and roles". */
export const adminRoles = ['admin', 'responder', 'owner', 'auditor'] as const
export type AdminRole = (typeof adminRoles)[number]

export function isAdminRole(value: unknown): value is AdminRole {
  return typeof value === 'string' && (adminRoles as readonly string[]).includes(value)
}

/**
 * The name of the broker-wide admin audit chain: the `handle` of its events. Never a valid
 * agent handle (a handle needs a local part before its `@`), so no agent route can read it and
 * no agent can take it.
 */
export const adminAuditChain = '@admins'

/** How a caller proved who it is. */
export type AdminVia = 'token' | 'oidc' | 'bootstrap'

/** The subject of the bootstrap token; its principal is `admin:bootstrap`. */
export const bootstrapSubject = 'bootstrap'

/** A named admin. `subject` is an email or a name; `principal` is `admin:<subject>`. */
export interface AdminPrincipal {
  readonly subject: string
  readonly roles: readonly AdminRole[]
  /** SHA-256 (hex) of the admin's token; the token itself is shown once and never kept. */
  readonly tokenHash: string
  readonly createdAt: Date
  /** The principal that created it. */
  readonly createdBy: string
  readonly expiresAt?: Date
  readonly revokedAt?: Date
}

/** A console sign-in: the cookie holds a random id, the store its SHA-256 and this. */
export interface ConsoleSession {
  /** SHA-256 (hex) of the session id. */
  readonly idHash: string
  readonly subject: string
  readonly roles: readonly AdminRole[]
  readonly via: AdminVia
  readonly createdAt: Date
  readonly expiresAt: Date
}

/** Who is calling, as every route sees it. */
export interface Caller {
  /** `admin:<subject>`: the actor of every audit event this caller causes. */
  readonly principal: string
  readonly subject: string
  readonly roles: readonly AdminRole[]
  readonly via: AdminVia
}

export function principalOf(subject: string): string {
  return `admin:${subject}`
}
