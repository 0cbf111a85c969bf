/**
 * @module @lanyard/connector-sdk
 *
 * For connector authors: the Connector contract (re-exported from @lanyard/core), the errors a
 * connector may throw, `defineConnector`, `secret()` for config fields, and scope helpers.
 * Also `memoryConnector` (type `memory`) and `createMemoryUpstream`: the test connector over an
 * in-process upstream, for the broker's tests, the demo, the benchmarks and docs/connectors.md.
 * The conformance kit is at `@lanyard/connector-sdk/testing`. Connectors depend on this
 * package as a peer (one SDK per broker) and on their one upstream SDK.
 */
export * from './contract.js'
export * from './define-connector.js'
export * from './secret-ref.js'
export * from './scopes.js'
export * from './retry-after.js'
export * from './memory/index.js'
