/**
 * @module @lanyard/core
 *
 * Lanyard's domain and use cases, and the ports (Store, EventBus, Clock, Connector) every
 * adapter implements. Imports nothing of the project and no I/O library. Imported by stores
 * (the Store port), by @lanyard/connector-sdk (which re-exports the connector port for
 * authors) and by apps. Test kits live in `@lanyard/core/testing`.
 */
export * from './errors.js'
export * from './agents/handle.js'
export type * from './agents/agent.js'
export type * from './bindings/binding.js'
export * from './exchange/grant.js'
export type * from './revocation/revocation.js'
export type * from './audit/event.js'
export * from './audit/chain.js'
export * from './ports/clock.js'
export * from './ports/event-bus.js'
export type * from './ports/store.js'
export type * from './ports/connector.js'
export { validateStandard } from './ports/standard-schema.js'
export type { StandardSchemaV1 } from './ports/standard-schema.js'
export * from './crypto/secret-value.js'
export * from './crypto/sealer.js'
export * from './agents/keys.js'
export * from './agents/agent-reader.js'
export * from './auth/authenticate.js'
export * from './tokens/handle-token.js'
export * from './tokens/key-ring.js'
export * from './tokens/access-token.js'
export * from './exchange/exchange.js'
export type * from './exchange/connectors.js'
export * from './revocation/cascade.js'
export * from './lanyard.js'
export * from './revocation/receipt.js'
export * from './ports/rate-limiter.js'
export * from './ports/mutex.js'
export * from './revocation/pass-loop.js'
