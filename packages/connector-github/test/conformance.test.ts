import { connectorConformance } from '@lanyard/connector-sdk/testing'
import { githubConnector } from '../src/index.js'
import { startGitHubFixture } from './fixture.js'

connectorConformance({
  connector: githubConnector,
  async setup() {
    const github = await startGitHubFixture()
    return {
      config: github.config,
      target: { installationId: github.installationId },
      ceiling: ['contents:write', 'pull_requests:write', 'issues:read', 'repo:api', 'repo:docs'],
      requests: {
        narrower: ['contents:read', 'repo:api'],
        wider: ['issues:write', 'administration:read', 'repo:web'],
        unknown: ['contents:admin', 'workflows:read', 'repo:acme/api', 'gists:read'],
      },
      bogus: {
        target: { installationId: 999_999 },
        config: { ...github.config, privateKey: github.otherKey },
      },
      host: { clock: github.clock },
      upstream: {
        works: (credential, scopes) => github.works(credential, scopes),
        async expire() {
          github.clock.advanceMs(3_600_000 + 1000)
        },
      },
      teardown: () => github.sandbox.close(),
    }
  },
})
