import { SecretValue } from '@lanyard/connector-sdk'
import { connectorConformance } from '@lanyard/connector-sdk/testing'
import type { ConformanceSetup } from '@lanyard/connector-sdk/testing'
import { oauthConnector } from '../src/index.js'
import type { OAuthClientConfig, OAuthCredential } from '../src/index.js'
import { API, LEDGER, OTHER, sandboxOptions, startOAuthSandbox, systemConfig, works } from './fixture.js'

/** One sandbox, one client bound to one resource; the bogus config gives that client a wrong secret. */
async function setup(clientId: string, resource: string, bogusAuth: OAuthClientConfig['auth'], extra: Record<string, unknown> = {}): Promise<ConformanceSetup<OAuthCredential>> {
  const sandbox = await startOAuthSandbox(sandboxOptions())
  const wrongSecret = new SecretValue('e3b0c44298fc1c149afbf4c8996fb924-wrong-secret')
  return {
    config: systemConfig(sandbox, extra),
    target: { clientId },
    ceiling: ['read', 'write', `resource:${resource}`],
    requests: {
      narrower: ['read', `resource:${resource}`],
      wider: ['admin', `resource:${OTHER}`],
      unknown: ['two words', 'resource:not-a-uri', 'say"what'],
    },
    bogus: {
      target: { clientId: 'nobody' },
      config: systemConfig(sandbox, { ...extra, clients: [{ clientId, auth: bogusAuth, clientSecret: wrongSecret }] }),
    },
    upstream: { works: (credential, scopes) => works(sandbox, credential, scopes) },
    // The sandbox speaks plain http on loopback: the broker would run with `sandbox: true`.
    host: { allowInsecureUpstreamHttp: true },
    teardown: () => sandbox.close(),
  }
}

// (1) Opaque tokens, client_secret_basic: the server tracks them, so revoke is confirmed.
connectorConformance({
  connector: oauthConnector,
  name: 'connector "oauth" conformance: opaque tokens, client_secret_basic',
  setup: () => setup('deploy-bot', LEDGER, 'client_secret_basic'),
})

// (2) JWT access tokens, private_key_jwt, DPoP: self-contained tokens the server cannot
// revoke, so every revoke must honestly say unrevocable-until.
connectorConformance({
  connector: oauthConnector,
  name: 'connector "oauth" conformance: JWT access tokens, private_key_jwt, DPoP',
  setup: () => setup('key-bot', API, 'client_secret_post', { dpop: true }),
})
