import type { AgentStore } from './agents.js'
import type { AuditStore } from './audit.js'
import type { BindingStore } from './bindings.js'
import type { GrantStore } from './grants.js'
import type { PrimitiveStore } from './primitives.js'
import type { RevocationStore } from './revocations.js'
import type { SigningKeyStore } from './signing-keys.js'
import type { WebhookStore } from './webhooks.js'

export type * from './agents.js'
export type * from './audit.js'
export type * from './bindings.js'
export type * from './grants.js'
export type * from './primitives.js'
export type * from './revocations.js'
export type * from './signing-keys.js'
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
 */
export type Store = AgentStore & BindingStore & GrantStore & RevocationStore & AuditStore & WebhookStore & SigningKeyStore & PrimitiveStore
