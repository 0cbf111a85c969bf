import { requestJson } from './broker-http.js'
import { LanyardClientError } from './errors.js'
import type { FederatedTokenSource } from './agent-client.js'

export interface GitHubActionsTokenOptions {
  /** The `aud` to ask for. Defaults to the broker's issuer, as the SDK passes it. */
  audience?: string
  /** Where ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN are read; defaults to the process environment. */
  env?: Record<string, string | undefined>
  fetch?: typeof fetch
}

/**
 * A federated token source for GitHub Actions: asks the runner's token service for an OIDC
 * token for the broker's audience (the job needs `permissions: id-token: write`). A fresh token
 * per sign-in; GitHub's live five minutes.
 */
export function githubActionsToken(options: GitHubActionsTokenOptions = {}): FederatedTokenSource {
  return async ({ audience }) => {
    const env = options.env ?? (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {}
    const url = env.ACTIONS_ID_TOKEN_REQUEST_URL
    const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN
    if (!url || !bearer) throw new LanyardClientError('invalid_request', { description: 'ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN are not set: run in GitHub Actions with `permissions: id-token: write`' })
    const request = new URL(url)
    request.searchParams.set('audience', options.audience ?? audience)
    const body = await requestJson(options.fetch ?? globalThis.fetch, request, { headers: { authorization: `bearer ${bearer}` } })
    if (typeof body.value !== 'string' || body.value === '') throw new LanyardClientError('invalid_response', { description: 'the Actions token service answered without a token' })
    return body.value
  }
}
