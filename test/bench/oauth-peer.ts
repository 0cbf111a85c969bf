import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startOAuthSandbox } from '@lanyard/sandbox'
import { openPeerDatabase, SqliteAdapter } from './sqlite-adapter.js'

// The peer of the exchange bench, in its own process like the broker: oidc-provider's
// client-credentials grant (opaque access tokens for one resource, client_secret_basic).
// Reads BENCH_PEER_CLIENT_ID, BENCH_PEER_CLIENT_SECRET and BENCH_PEER_RESOURCE, and
// BENCH_PEER_STORE: `memory` (oidc-provider's own adapter, nothing durable) or `sqlite`
// (sqlite-adapter.ts: WAL, synchronous=FULL, one write per token, group commit, in a fresh
// temporary folder). Prints `listening <url>` (the issuer) once it listens; stops on SIGTERM.
const clientId = process.env.BENCH_PEER_CLIENT_ID ?? 'bench'
const clientSecret = process.env.BENCH_PEER_CLIENT_SECRET ?? ''
const resource = process.env.BENCH_PEER_RESOURCE ?? 'https://api.bench.test/'
const durable = process.env.BENCH_PEER_STORE === 'sqlite'
const dir = durable ? mkdtempSync(join(tmpdir(), 'lanyard-bench-peer-')) : undefined
if (dir !== undefined) openPeerDatabase(join(dir, 'oidc.db'))
const sandbox = await startOAuthSandbox({
  scopes: ['read'],
  resources: { [resource]: { scopes: ['read'], accessTokenFormat: 'opaque' } },
  clients: [{ clientId, auth: 'client_secret_basic', clientSecret }],
  keepAlive: true,
  ...(durable ? { adapter: SqliteAdapter } : {}),
})
process.stdout.write(`listening ${sandbox.issuer}\n`)
process.once('SIGTERM', () =>
  void sandbox.close().then(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    process.exit(0)
  }),
)
