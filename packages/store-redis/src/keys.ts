import { ConfigInvalid, adminAuditChain } from '@lanyard/core'

/**
 * Every key the Redis store uses, in one place.
 *
 * (1) Per-agent keys share the hash tag `{<prefix>:<handle>}`, so one agent's writes (one Lua
 *     commit touching its record, chain head, audit list, grants and open grants, revocations
 *     and tasks) stay in one Redis Cluster slot. This is the source of truth.
 * (2) Global keys (`<prefix>:...`, no tag) are indexes across agents: agent list, owner list,
 *     whois, pending grants, revocation id -> handle, open revocations, due tasks. They live in
 *     other slots, so they cannot join an agent's atomic commit. Each is derived: written before
 *     the commit as a superset (an entry may point at nothing) and verified against the
 *     agent-side record on every read, or removed after the commit best effort and repaired by
 *     the reader that finds it stale. A crash between index write and commit therefore costs a
 *     dangling entry, never a missing one.
 * (3) Single-key globals (replay cache, revoked tokens, signing keys, rate limits, mutex
 *     locks, exclusive binding targets) need no partner key and are atomic on their own.
 * (4) Webhooks and their deliveries share one tag, `{<prefix>:webhooks}`: one slot, so their
 *     due index is exact and every change is one commit. They are few (one delivery per
 *     subscriber per revocation), so one slot carries them; a busy deployment would shard them
 *     by webhook id. The revocation outbox (events whose SETs are not enqueued yet) is a hash
 *     there too, so taking an event out and enqueueing its SETs is one commit. Its entries are
 *     written before the revocation's own commit, as a superset (see (2)): `finished` already
 *     at the start, announced only once the job reads back done.
 */
export interface RedisKeys {
  readonly head: (handle: string) => string
  readonly agent: (handle: string) => string
  readonly audit: (handle: string) => string
  readonly keys: (handle: string) => string
  readonly bindings: (handle: string) => string
  readonly grants: (handle: string) => string
  readonly openGrants: (handle: string) => string
  readonly openGrantsComplete: (handle: string) => string
  readonly revocations: (handle: string) => string
  readonly tasks: (handle: string, revocationId: string) => string
  readonly presence: (handle: string) => string
  readonly reports: (handle: string) => string
  readonly agents: string
  readonly owner: (owner: string) => string
  /** Global index (see (2)): the handles of an agent's children (#17), sorted lexically. */
  readonly children: (parent: string) => string
  readonly whois: (key: string, value: string) => string
  readonly pendingGrants: string
  readonly revocation: (revocationId: string) => string
  readonly openRevocations: string
  /** Every revocation id, scored by its creation time: the history (a superset, keys.ts (2)). */
  readonly allRevocations: string
  readonly dueTasks: string
  readonly once: (key: string) => string
  readonly revokedToken: (jti: string) => string
  readonly signingKeys: string
  readonly webhooks: string
  readonly deliveries: string
  readonly dueDeliveries: string
  readonly deliveriesOf: (webhookId: string) => string
  readonly outbox: string
  /** Approvals (#15): one hash per agent; id -> handle and the time-ordered list are global indexes (2). */
  readonly approvals: (handle: string) => string
  readonly approval: (approvalId: string) => string
  readonly approvalIndex: string
  /** Earned trust (#15): the agent's TierRecord, JSON, under its tag. */
  readonly tier: (handle: string) => string
  /** The subject's delegation rules (#17, hash: actor -> rule), under the subject's tag. */
  readonly delegations: (handle: string) => string
  /** The agent's trust rules (hash: id -> rule), under the agent's tag. */
  readonly trustRules: (handle: string) => string
  /** Global index (see (2)): `[handle, id]` of every rule naming the issuer. */
  readonly trustByIssuer: (issuer: string) => string
  readonly rate: (key: string) => string
  /** Which agent holds an exclusive binding target (bindings.ts): `<handle> <claimed at ms>`. */
  readonly exclusive: (system: string, key: string) => string
  readonly lock: (key: string) => string
  readonly checkpoints: string
  /**
   * Admins (#18), under one tag with the admin audit chain (`head`/`audit` of `adminAuditChain`):
   * records by subject, token hash -> subject, sessions by id hash, settings. One slot, so each
   * change and its chain event are one commit.
   */
  readonly admins: { readonly records: string; readonly tokens: string; readonly sessions: string; readonly settings: string }
  readonly channel: string
}

// Braces would move the hash tag, whitespace breaks CLIENT SETNAME; 64 characters is plenty.
const prefixPattern = /^[A-Za-z0-9._:-]{1,64}$/

export function checkKeyPrefix(prefix: string): string {
  if (!prefixPattern.test(prefix)) throw new ConfigInvalid([`store.keyPrefix: expected 1-64 of A-Z, a-z, 0-9, ".", "_", ":", "-" (no braces), got ${JSON.stringify(prefix)}`])
  return prefix
}

export function redisKeys(prefix: string): RedisKeys {
  checkKeyPrefix(prefix)
  const tag = (handle: string) => `{${prefix}:${handle}}`
  const webhooks = `{${prefix}:webhooks}`
  return {
    head: (handle) => `${tag(handle)}:head`,
    agent: (handle) => `${tag(handle)}:agent`,
    audit: (handle) => `${tag(handle)}:audit`,
    keys: (handle) => `${tag(handle)}:keys`,
    bindings: (handle) => `${tag(handle)}:bindings`,
    grants: (handle) => `${tag(handle)}:grants`,
    openGrants: (handle) => `${tag(handle)}:grants:open`,
    openGrantsComplete: (handle) => `${tag(handle)}:grants:open:complete`,
    revocations: (handle) => `${tag(handle)}:revocations`,
    tasks: (handle, revocationId) => `${tag(handle)}:tasks:${revocationId}`,
    presence: (handle) => `${tag(handle)}:presence`,
    reports: (handle) => `${tag(handle)}:reports`,
    agents: `${prefix}:agents`,
    owner: (owner) => `${prefix}:owner:${owner}`,
    children: (parent) => `${prefix}:children:${parent}`,
    whois: (key, value) => `${prefix}:whois:${JSON.stringify([key, value])}`,
    pendingGrants: `${prefix}:grants:pending`,
    revocation: (revocationId) => `${prefix}:revocation:${revocationId}`,
    openRevocations: `${prefix}:revocations:open`,
    allRevocations: `${prefix}:revocations:all`,
    dueTasks: `${prefix}:tasks:due`,
    once: (key) => `${prefix}:once:${key}`,
    revokedToken: (jti) => `${prefix}:revoked-token:${jti}`,
    signingKeys: `${prefix}:signing-keys`,
    webhooks: `${webhooks}:hooks`,
    deliveries: `${webhooks}:deliveries`,
    dueDeliveries: `${webhooks}:due`,
    deliveriesOf: (webhookId) => `${webhooks}:of:${webhookId}`,
    outbox: `${webhooks}:outbox`,
    approvals: (handle) => `${tag(handle)}:approvals`,
    approval: (approvalId) => `${prefix}:approval:${approvalId}`,
    approvalIndex: `${prefix}:approvals`,
    tier: (handle) => `${tag(handle)}:tier`,
    trustRules: (handle) => `${tag(handle)}:trust`,
    delegations: (handle) => `${tag(handle)}:delegations`,
    trustByIssuer: (issuer) => `${prefix}:trust:issuer:${issuer}`,
    rate: (key) => `${prefix}:rate:${key}`,
    exclusive: (system, key) => `${prefix}:exclusive:${JSON.stringify([system, key])}`,
    lock: (key) => `${prefix}:lock:${key}`,
    checkpoints: `${prefix}:audit-checkpoints`,
    admins: { records: `${tag(adminAuditChain)}:admins`, tokens: `${tag(adminAuditChain)}:admin-tokens`, sessions: `${tag(adminAuditChain)}:sessions`, settings: `${tag(adminAuditChain)}:settings` },
    channel: `${prefix}:events`,
  }
}

/** Members of the global sorted sets and sets: the agent-side coordinates of what they index. */
export function indexMember(...parts: string[]): string {
  return JSON.stringify(parts)
}

export function parseIndexMember(member: string): string[] {
  const parts: unknown = JSON.parse(member)
  return Array.isArray(parts) && parts.every((p) => typeof p === 'string') ? parts : []
}
