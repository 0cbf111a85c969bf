/**
 * @module @lanyard/connector-sdk/testing
 *
 * The connector conformance kit. A connector's `test/conformance.test.ts` is one call:
 *
 *   connectorConformance({ connector, setup: async ({ acceptance }) => ({ config, target,
 *     ceiling, requests, bogus, upstream }) })
 *
 * Imports vitest (an optional peer); runtime code never imports this entry. Sandbox by
 * default; setup may use real upstreams only when LANYARD_ACC=1 (`acceptance: true`).
 */
export { connectorConformance } from './connector-conformance.js'
export { runConformance, isAcceptanceRun } from './run-conformance.js'
export type { ConformanceCaseResult, ConformanceReport } from './run-conformance.js'
export { createTestHost } from './host.js'
export type { FetchRecord, LogRecord, RecordingHost } from './host.js'
export { ConformanceFailure } from './failure.js'
export { conformanceCases } from './cases/index.js'
export type { ConformanceCase } from './cases/index.js'
export type { ConformanceContext, TrackedGrant } from './context.js'
export { credentialSecrets, findLeak } from './secrets.js'
export type { WatchedSecret } from './secrets.js'
export type { ConformanceSetup, ConformanceSetupContext, ConformanceUpstream, ConnectorConformanceOptions } from './types.js'
