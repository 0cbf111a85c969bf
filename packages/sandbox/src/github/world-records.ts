import { createHash, randomBytes, type KeyObject } from 'node:crypto'
import { GitHubError, messages } from './github-error.js'

/* The stand-in's records and the small rules GitHub states about them (token shape, lifetime, limits). */

export type PermissionLevel = 'read' | 'write' | 'admin'
export type Permissions = Readonly<Record<string, PermissionLevel>>
export type AccountType = 'Organization' | 'User'
export type TokenState = 'active' | 'revoked' | 'expired' | 'unknown'

export interface InstallationSpec {
  readonly appId: number
  /** The account login the App is installed on (`acme`). */
  readonly account: string
  readonly accountType?: AccountType
  /** Repository names within the account the installation may reach. */
  readonly repositories: readonly string[]
  readonly permissions: Permissions
  /** `all` when installed on every repository of the account; default `selected`. */
  readonly repositorySelection?: 'all' | 'selected'
}

/** One installation access token as the stand-in recorded it (test inspection only). */
export interface IssuedToken {
  readonly token: string
  /** base64(SHA-256(token)): the `hashed_token` field of GitHub's audit log. */
  readonly hashedToken: string
  readonly appId: number
  readonly installationId: number
  /** Repository names the token reaches; `undefined` = everything the installation has. */
  readonly repositories: readonly string[] | undefined
  readonly permissions: Permissions
  readonly issuedAt: Date
  readonly expiresAt: Date
  readonly state: TokenState
}

export interface Account { readonly id: number; readonly login: string; readonly type: AccountType; readonly repositories: Map<string, Repository> }
export interface Repository { readonly id: number; readonly name: string; readonly account: Account; readonly files: Map<string, { content: string; sha: string }> }
export interface App { readonly id: number; readonly slug: string; readonly publicKey: KeyObject; readonly createdAt: string }
export interface Installation {
  readonly id: number
  readonly app: App
  readonly account: Account
  readonly repositoryIds: Set<number>
  readonly permissions: Permissions
  readonly repositorySelection: 'all' | 'selected'
  readonly createdAt: string
  removed: boolean
}
export interface TokenRecord {
  readonly token: string
  readonly installation: Installation
  /** `undefined` = every repository the installation reaches, as GitHub does when none are named. */
  readonly repositoryIds: ReadonlySet<number> | undefined
  readonly permissions: Permissions
  readonly issuedAtMs: number
  readonly expiresAtMs: number
  revoked: boolean
}

/** GitHub installation access tokens live one hour; `expires_at` says so. */
export const tokenLifetimeMs = 60 * 60 * 1000
/** GitHub's limit on `repositories` + `repository_ids` in one token request. */
export const maxRepositoriesPerToken = 500
export const levelRank: Record<string, number> = { read: 1, write: 2, admin: 3 }
const tokenAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64')
}

/** GitHub's shape: `2016-07-11T22:14:10Z`, whole seconds. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

export function newToken(): string {
  // 36 characters after `ghs_`, like GitHub's 40-character installation tokens.
  const bytes = randomBytes(36)
  let body = ''
  for (const byte of bytes) body += tokenAlphabet[byte % tokenAlphabet.length]
  return `ghs_${body}`
}

export function optionalArray(value: unknown, valid: (v: unknown) => boolean): unknown[] | undefined {
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value) || !value.every(valid)) throw new GitHubError(422, messages.invalidRequest)
  return value
}
