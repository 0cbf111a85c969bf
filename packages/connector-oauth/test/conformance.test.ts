import { SecretValue } from '@lanyard/connector-sdk'
import { connectorConformance } from '@lanyard/connector-sdk/testing'
import { oauthConnector } from '../src/index.js'
import { API, LEDGER, OTHER, sandboxOptions, startOAuthSandbox, systemConfig, works } from './fixture.js'

const requests = (resource: string) => ({
  narrower: ['read', `resource:${resource}`],
  wider: ['admin', `resource:${OTHER}`],
  unknown: ['two words', 'resource:not-a-uri', 'say"what'],
})

// (1) Opaque tokens, client_secret_basic: the server tracks them, so revoke is confirmed.
connectorConformance({
  connector: oauthConnector,
  name: 'connector "oauth" conformance: opaque tokens, client_secret_basic',
  async setup() {
    const sandbox = await startOAuthSandbox(sandboxOptions())
    return {
      config: systemConfig(sandbox),
      target: { clientId: 'deploy-bot' },
      ceiling: ['read', 'write', `resource:${LEDGER}`],
      requests: requests(LEDGER),
      bogus: {
        target: { clientId: 'nobody' },
        config: systemConfig(sandbox, {
          clients: [{ clientId: 'deploy-bot', auth: 'client_secret_basic', clientSecret: new SecretValue('e3b0c44298fc1c149afbf4c8996fb924-wrong-secret') }],
        }),
      },
      upstream: { works: (credential, scopes) => works(sandbox, credential, scopes) },
      teardown: () => sandbox.close(),
    }
  },
})

// (2) JWT access tokens, private_key_jwt, DPoP: self-contained tokens the server cannot
// revoke, so every revoke must honestly say unrevocable-until.
connectorConformance({
  connector: oauthConnector,
  name: 'connector "oauth" conformance: JWT access tokens, private_key_jwt, DPoP',
  async setup() {
    const sandbox = await startOAuthSandbox(sandboxOptions())
    return {
      config: systemConfig(sandbox, { dpop: true }),
      target: { clientId: 'key-bot' },
      ceiling: ['read', 'write', `resource:${API}`],
      requests: requests(API),
      bogus: {
        target: { clientId: 'nobody' },
        config: systemConfig(sandbox, {
          clients: [{ clientId: 'key-bot', auth: 'client_secret_post', clientSecret: new SecretValue('27ae41e4649b934ca495991b7852b855-wrong-secret') }],
        }),
      },
      upstream: { works: (credential, scopes) => works(sandbox, credential, scopes) },
      teardown: () => sandbox.close(),
    }
  },
})
