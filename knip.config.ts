import type { KnipConfig } from 'knip'

// Knip finds the entries in package.json (`exports`, `bin`, scripts), each workspace's
// `src/main.ts`, and the test files and vitest.config.ts through its vitest plugin; listed here
// is only what it cannot see.
export default {
  ignoreExportsUsedInFile: true,
  // A connector package exports its definition by name and as default: the broker loads a
  // plugin named by package through its default export (apps/broker/src/connectors/load-plugin.ts).
  ignoreIssues: { 'packages/connector-*/src/index.ts': ['duplicates'] },
  workspaces: {
    // The declaration of the untyped oidc-provider module: ambient, imported by no one.
    'packages/sandbox': { entry: ['src/oauth/oidc-provider.d.ts'] },
    'apps/broker': {
      // Imported by a name held in a variable: the connectors in src/connectors/load-plugin.ts
      // (`builtInConnectors`), the Redis store in src/broker.ts (`openStore`).
      ignoreDependencies: ['@lanyard/connector-github', '@lanyard/connector-aws', '@lanyard/connector-oauth', '@lanyard/connector-mcp', '@lanyard/store-redis'],
    },
    test: {
      entry: [
        // Spawned by path from bench/processes.ts and bench/exchange.ts, or run by hand.
        'bench/{oauth-peer,calibration-server,floor-server,ledger,profile-exchange}.ts',
        // Connector plugins the broker imports by path (`type:` in e2e/plugins.test.ts).
        'fixtures/plugins/*.ts',
        // Spawned by path from clients/python/tests/conftest.py (the Python client's AWS and MCP tests).
        'support/aws-sandbox-process.ts',
        'support/mcp-server-process.ts',
      ],
      ignoreDependencies: [
        // Run by the suites through the broker, which loads them by name (`type:` github, aws, oauth).
        '@lanyard/connector-github',
        '@lanyard/connector-aws',
        '@lanyard/connector-oauth',
        // Spawned by path: apps/cli/bin/lanyard.js in e2e/readme-quickstart.test.ts.
        '@lanyard/cli',
      ],
    },
  },
} satisfies KnipConfig
