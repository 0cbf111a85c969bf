import type { AdminStore } from './admins.js'
import type { AgentStore } from './agents.js'
import type { ApprovalStore } from './approvals.js'
import type { AuditStore } from './audit.js'
import type { BindingStore } from './bindings.js'
import type { CheckpointStore } from './checkpoints.js'
import type { DelegationStore } from './delegations.js'
import type { GrantStore } from './grants.js'
import type { PresenceStore } from './presence.js'
import type { PrimitiveStore } from './primitives.js'
import type { RevocationStore } from './revocations.js'
import type { SigningKeyStore } from './signing-keys.js'
import type { TierStore } from './tiers.js'
import type { TrustRuleStore } from './trust.js'
import type { WebhookStore } from './webhooks.js'

export type * from './admins.js'
export type * from './agents.js'
export type * from './approvals.js'
export type * from './audit.js'
export type * from './bindings.js'
export type * from './checkpoints.js'
export type * from './delegations.js'
export type * from './grants.js'
export type * from './presence.js'
export type * from './primitives.js'
export type * from './revocations.js'
export type * from './signing-keys.js'
export type * from './tiers.js'
export type * from './trust.js'
export type * from './webhooks.js'

/**
 * Everything Lanyard keeps: the sum of one port per area (a file each beside this one), so
 * that wiring stays one object while each use case names only the areas it uses.
 *
 * Each method is one atomic write or one consistent read; every state change appends its audit
 * event in the same transaction (audit before answer), so a store that cannot write the event
 * writes nothing. Methods throw StoreUnavailable when the backend is gone, never a driver
 * error. The conformance kit in @lanyard/core/testing (one file per area under
 * `testing/store/`) checks all of this against every implementation.
 *
 * Adding an area (say `approvals`), each piece named after it:
 * (1) the port: `ports/store/approvals.ts` (its records and `ApprovalStore`, at most 12
 *     methods, each with its contract), added to the sum below and exported above;
 * (2) SQLite: a migration in store-sqlite/src/migrations/, its rows in rows.ts,
 *     `createApprovalMethods(db: SqliteDatabase)` in store-sqlite/src/approvals.ts, spread into
 *     create-sqlite-store.ts;
 * (3) Redis: its keys in store-redis/src/keys.ts, its codec in codec.ts,
 *     `createApprovalMethods(db: RedisDatabase)` in store-redis/src/approvals.ts, spread into
 *     create-redis-store.ts;
 * (4) the kit: `approvalCases(kit)` in testing/store/approvals.ts, listed in
 *     testing/store-conformance.ts, plus its methods in the fail-closed case
 *     (testing/store/primitives.ts: it does not compile until they are there);
 * (5) the use cases: a service in services/approvals.ts typed on `ApprovalStore` (and only the
 *     other areas it reads), summed into `Lanyard` in lanyard.ts.
 */
export type Store = AgentStore & BindingStore & GrantStore & RevocationStore & AuditStore & WebhookStore & SigningKeyStore & PrimitiveStore & TrustRuleStore & PresenceStore & ApprovalStore & TierStore & CheckpointStore & AdminStore & DelegationStore
