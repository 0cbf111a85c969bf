import { configDefaults, defineConfig } from 'vitest/config'

// Every package is tested from source: the `lanyard-source` export condition points each
// `@lanyard/*` import at `src/` so no build step stands between an edit and a test run.
const sourceCondition = { resolve: { conditions: ['lanyard-source'] }, ssr: { resolve: { conditions: ['lanyard-source'] } } }
// Projects do not inherit the root `test` options: each gets the same timeouts.
const timeouts = { testTimeout: 30_000, hookTimeout: 60_000 }

export default defineConfig({
  ...sourceCondition,
  test: {
    allowOnly: !process.env.CI,
    // Two cores on the reference machine: more workers only adds contention.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      { ...sourceCondition, test: { ...timeouts, name: 'packages', include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'] } },
      { ...sourceCondition, test: { ...timeouts, name: 'apps', include: ['apps/*/src/**/*.test.ts', 'apps/*/test/**/*.test.ts'] } },
      { ...sourceCondition, test: { ...timeouts, name: 'e2e', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/bench/**'] } },
      // The system suites again on the shared store (STYLE 6: once per store). Redis must be on
      // 127.0.0.1:6379; each broker uses its own key prefix.
      {
        ...sourceCondition,
        test: { ...timeouts, name: 'e2e-redis', include: ['test/e2e/**/*.test.ts', 'test/hostile/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/e2e/readme-quickstart.test.ts', 'test/e2e/connector-sandbox-readmes.test.ts'], env: { LANYARD_TEST_STORE: 'redis' } },
      },
    ],
  },
})
