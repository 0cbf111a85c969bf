import { startOAuthSandbox } from '@lanyard/sandbox'

// The peer of the exchange bench, in its own process like the broker: oidc-provider's
// client-credentials grant (opaque access tokens for one resource, client_secret_basic).
// Reads BENCH_PEER_CLIENT_ID, BENCH_PEER_CLIENT_SECRET and BENCH_PEER_RESOURCE; prints
// `listening <url>` (the issuer) once it listens; stops on SIGTERM.
const clientId = process.env.BENCH_PEER_CLIENT_ID ?? 'bench'
const clientSecret = process.env.BENCH_PEER_CLIENT_SECRET ?? ''
const resource = process.env.BENCH_PEER_RESOURCE ?? 'https://api.bench.test/'
const sandbox = await startOAuthSandbox({
  scopes: ['read'],
  resources: { [resource]: { scopes: ['read'], accessTokenFormat: 'opaque' } },
  clients: [{ clientId, auth: 'client_secret_basic', clientSecret }],
  keepAlive: true,
})
process.stdout.write(`listening ${sandbox.issuer}\n`)
process.once('SIGTERM', () => void sandbox.close().then(() => process.exit(0)))
