import { systemClock, type Clock, type Store } from '@lanyard/core'
import { createAdminMethods } from './admins.js'
import { createAgentMethods } from './agents.js'
import { createApprovalMethods } from './approvals.js'
import { createAuditMethods } from './audit.js'
import { createBindingMethods } from './bindings.js'
import { createCheckpointMethods } from './checkpoints.js'
import { createDatabase } from './database.js'
import { createGrantMethods } from './grants.js'
import { openDatabase } from './open-database.js'
import { createPresenceMethods } from './presence.js'
import { createPrimitiveMethods } from './primitives.js'
import { createRevocationMethods } from './revocations.js'
import { createSigningKeyMethods } from './signing-keys.js'
import { createTierMethods } from './tiers.js'
import { createTrustRuleMethods } from './trust.js'
import { createDelegationMethods } from './delegations.js'
import { createWebhookMethods } from './webhooks.js'

export interface SqliteStoreOptions {
  /** The database file. Created, with its folder's WAL side files, if it does not exist. */
  readonly path: string
  /** Stamps bookkeeping only (migrations, purges); every recorded time comes from the caller. */
  readonly clock?: Clock
  /**
   * How long a write waits for another process's write lock before failing with
   * StoreUnavailable. 5 s: a use case holds the lock for about one fsync (milliseconds), so
   * only a stuck process holds it this long.
   */
  readonly busyTimeoutMs?: number
}

/**
 * Opens (creating and migrating if needed) the embedded store: one `create<Area>Methods(db)`
 * per area file, all over one connection and its group-committed write queue (database.ts).
 * Every use case is one BEGIN IMMEDIATE transaction. Throws StoreUnavailable if the file cannot
 * be opened or was written by a newer release.
 */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const clock = options.clock ?? systemClock
  const db = createDatabase(openDatabase(options.path, { busyTimeoutMs: options.busyTimeoutMs ?? 5_000, now: clock.now() }), clock)
  return {
    ...createAgentMethods(db),
    ...createBindingMethods(db),
    ...createGrantMethods(db),
    ...createRevocationMethods(db),
    ...createAuditMethods(db),
    ...createWebhookMethods(db),
    ...createSigningKeyMethods(db),
    ...createPresenceMethods(db),
    ...createPrimitiveMethods(db),
    ...createApprovalMethods(db),
    ...createTierMethods(db),
    ...createTrustRuleMethods(db),
    ...createDelegationMethods(db),
    ...createCheckpointMethods(db),
    ...createAdminMethods(db),
  }
}
