/**
 * @module @lanyard/connector-github
 *
 * The GitHub connector: mints GitHub App installation tokens narrowed to the repositories and
 * permissions an agent asked for, revokes them with `DELETE /installation/token`, and records
 * `hashed_token` so GitHub's audit log leads back to the agent. Built on @octokit/app with the
 * retry and throttling plugins. Imported by the broker (apps/broker) and by tests; depends on
 * @lanyard/connector-sdk (peer) and octokit only. Config, scope syntax: README.md.
 */
import { defineConnector, sdkVersion } from '@lanyard/connector-sdk'
import { createClient, translate } from './client.js'
import { githubConfig } from './config.js'
import { issue, ReuseCache } from './issue.js'
import { probe } from './probe.js'
import { revoke } from './revoke.js'
import { githubScopes, narrowGitHubScopes } from './scopes.js'
import { githubTarget, validateBinding } from './target.js'
import { hashedTokenKey } from './whois.js'

export type { GitHubConfig } from './config.js'
export type { GitHubRef } from './issue.js'
export type { GitHubTarget } from './target.js'
export { hashedToken } from './whois.js'

/** `type: github` in lanyard.yaml. */
export const githubConnector = defineConnector({
  type: 'github',
  /** 1 MiB: a token minted for many repositories lists each of them in full (~5 KiB each). */
  maxResponseBytes: 1024 * 1024,
  sdk: `^${sdkVersion}`,
  config: githubConfig,
  target: githubTarget,
  scopes: githubScopes,
  revocationMechanism: 'DELETE /installation/token as the token itself: immediate',
  whoisKeys: [hashedTokenKey],
  create(config, host) {
    const client = createClient(config, host)
    const reuse = new ReuseCache()
    return {
      narrow: narrowGitHubScopes,
      validateBinding: (target, ceiling, signal) => validateBinding(client, target, ceiling, signal),
      issue: (request, signal) => issue(client, reuse, request, signal),
      async revoke(request, signal) {
        reuse.forget(request.ref.hashedToken)
        return revoke(client, request, signal)
      },
      probe: (request, signal) => probe(client, request, signal),
      /** `GET /app` as the App: proves the key belongs to `appId` and GitHub answers. */
      async health(signal) {
        try {
          await client.app.request('GET /app', { request: { signal } })
          return { ok: true }
        } catch (error) {
          return { ok: false, detail: translate(client, error, 'GET /app').message }
        }
      },
    }
  },
})

export default githubConnector
