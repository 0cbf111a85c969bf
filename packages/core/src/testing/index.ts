/**
 * @module @lanyard/core/testing
 *
 * Test kits for code that implements Lanyard's ports: `storeConformance` registers the Store
 * contract's cases with vitest, `FakeClock` moves time only when told. Imported by tests only
 * (each store's `test/conformance.test.ts`, use-case tests); it imports `vitest`, an optional
 * peer, so runtime code never imports this entry.
 */
export { FakeClock } from './fake-clock.js'
export { storeConformance } from './store-conformance.js'
export type { StoreConformanceOptions } from './store-conformance.js'
