import { randomBytes } from 'node:crypto'
import { systemClock } from '@lanyard/core'
import type { Clock, ScopeSet } from '@lanyard/core'
import { memoryCovers } from './scopes.js'

export type MemoryTokenStatus = 'alive' | 'revoked' | 'expired' | 'unknown'

/** What the upstream answers when shown a token (RFC 7662 in spirit). */
export type MemoryIntrospection =
  | { readonly active: true; readonly id: string; readonly account: string; readonly subject: string; readonly scopes: ScopeSet; readonly expiresAt: Date }
  | { readonly active: false; readonly reason: Exclude<MemoryTokenStatus, 'alive'> }

/** Thrown by every call while `available` is false, as a real client throws on a network error. */
export class MemoryUpstreamDown extends Error {
  constructor(name: string) {
    super(`memory upstream "${name}" is down`)
    this.name = 'MemoryUpstreamDown'
  }
}

/**
 * An in-process upstream that behaves like a real one where it matters: it issues random
 * opaque tokens, accepts only those it issued, refuses revoked and expired ones (by its own
 * clock) and refuses scopes a token was not issued for.
 */
export interface MemoryUpstream {
  readonly name: string
  readonly clock: Clock
  /** False: every call throws MemoryUpstreamDown (the connector reports UpstreamUnavailable). */
  available: boolean
  addAccount(account: string): void
  hasAccount(account: string): boolean
  mint(input: { account: string; subject: string; scopes: ScopeSet; ttlSeconds: number }): { id: string; token: string; expiresAt: Date }
  introspect(token: string): MemoryIntrospection
  /** True when `token` is active and covers every item of `scopes` (the credential works). */
  allows(token: string, scopes: ScopeSet): boolean
  /** The status of a token by id, as an admin API would show it. */
  status(id: string): MemoryTokenStatus
  /** Revokes by id; says what the token was. Idempotent. */
  revokeById(id: string): MemoryTokenStatus
  /** Revokes by being shown the token (RFC 7009 / GitHub style). Idempotent. */
  revokeByToken(token: string): MemoryTokenStatus
  /** Tokens that would be accepted now. */
  liveCount(): number
}

export interface MemoryUpstreamOptions {
  /** Registers the upstream under this name for `memory` systems (`upstream: <name>`); replaces any upstream of that name. */
  readonly name?: string
  /** Decides expiry. Default: the system clock. Share the broker's FakeClock in tests. */
  readonly clock?: Clock
  /** Accounts a binding target may name. Default: `['default']`. */
  readonly accounts?: readonly string[]
}

interface StoredToken {
  readonly id: string
  readonly token: string
  readonly account: string
  readonly subject: string
  readonly scopes: ScopeSet
  readonly expiresAt: Date
  revoked: boolean
}

// The broker creates connectors from lanyard.yaml, so a test reaches the upstream a `memory`
// system talks to by name, through this registry. Test connector only: real connectors hold no
// module state.
const registry = new Map<string, MemoryUpstream>()

export function createMemoryUpstream(options: MemoryUpstreamOptions = {}): MemoryUpstream {
  const name = options.name ?? 'anonymous'
  const clock = options.clock ?? systemClock
  const accounts = new Set(options.accounts ?? ['default'])
  const byId = new Map<string, StoredToken>()
  const byToken = new Map<string, StoredToken>()

  const statusOf = (stored: StoredToken | undefined): MemoryTokenStatus => {
    if (stored === undefined) return 'unknown'
    if (stored.revoked) return 'revoked'
    return stored.expiresAt.getTime() <= clock.now().getTime() ? 'expired' : 'alive'
  }
  const revoke = (stored: StoredToken | undefined): MemoryTokenStatus => {
    const before = statusOf(stored)
    if (stored !== undefined && before === 'alive') stored.revoked = true
    return before === 'alive' ? 'revoked' : before
  }

  const upstream: MemoryUpstream = {
    name,
    clock,
    available: true,
    addAccount(account) {
      accounts.add(account)
    },
    hasAccount(account) {
      up()
      return accounts.has(account)
    },
    mint({ account, subject, scopes, ttlSeconds }) {
      up()
      const stored: StoredToken = {
        id: `tok_${randomBytes(12).toString('hex')}`,
        token: `mem_${randomBytes(32).toString('base64url')}`,
        account,
        subject,
        scopes: [...scopes],
        expiresAt: new Date(clock.now().getTime() + ttlSeconds * 1000),
        revoked: false,
      }
      byId.set(stored.id, stored)
      byToken.set(stored.token, stored)
      return { id: stored.id, token: stored.token, expiresAt: stored.expiresAt }
    },
    introspect(token) {
      up()
      const stored = byToken.get(token)
      const status = statusOf(stored)
      if (stored === undefined || status !== 'alive') return { active: false, reason: status === 'alive' ? 'unknown' : status }
      return { active: true, id: stored.id, account: stored.account, subject: stored.subject, scopes: stored.scopes, expiresAt: stored.expiresAt }
    },
    allows(token, scopes) {
      const answer = upstream.introspect(token)
      return answer.active && scopes.every((wanted) => answer.scopes.some((granted) => memoryCovers(granted, wanted)))
    },
    status(id) {
      up()
      return statusOf(byId.get(id))
    },
    revokeById(id) {
      up()
      return revoke(byId.get(id))
    },
    revokeByToken(token) {
      up()
      return revoke(byToken.get(token))
    },
    liveCount() {
      return [...byId.values()].filter((stored) => statusOf(stored) === 'alive').length
    },
  }
  function up(): void {
    if (!upstream.available) throw new MemoryUpstreamDown(name)
  }
  if (options.name !== undefined) registry.set(options.name, upstream)
  return upstream
}

/** The upstream registered under `name`, created (with `clock`) on first use. */
export function memoryUpstreamNamed(name: string, clock: Clock): MemoryUpstream {
  return registry.get(name) ?? createMemoryUpstream({ name, clock })
}
