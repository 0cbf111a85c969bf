import { UpstreamRefused, UpstreamUnavailable } from '@lanyard/connector-sdk'
import type { ExchangeCredential, IssueRequest, Issued, UpstreamRef } from '@lanyard/connector-sdk'
import { ensureNotAborted, stringEntries, translate, untilAborted, type GitHubClient } from './client.js'
import { isAlive } from './probe.js'
import { revokeToken } from './revoke.js'
import { toTokenRequest } from './scopes.js'
import { resolveInstallation, type GitHubTarget } from './target.js'
import { hashedToken, whoisIndex } from './whois.js'

/** What a grant stores: enough to revoke (with the sealed token) and to attribute. No secret. */
export interface GitHubRef extends UpstreamRef {
  readonly installationId: number
  /** base64(SHA-256(token)), as GitHub's audit log shows `hashed_token`. */
  readonly hashedToken: string
  /** Repository names, or `*` for every repository the installation has. */
  readonly repositories: readonly string[] | '*'
  readonly permissions: Readonly<Record<string, string>>
  readonly expiresAt: string
}

/** Upstream clocks may run a little ahead of ours; GitHub's `expires_at` is whole seconds. */
const clockSkewMs = 60_000

/**
 * Tokens minted per agent, binding and exact scope set, for `reuse.enabled`. In memory, per
 * broker process: a replica that did not mint a token never hands it out. A revoked token is
 * forgotten here and, revoked by another replica, caught by a liveness check before reuse.
 */
export class ReuseCache {
  readonly #entries = new Map<string, Issued<ExchangeCredential>>()

  static key(handle: string, installationId: number, scopes: readonly string[]): string {
    return JSON.stringify([handle, installationId, [...new Set(scopes)].sort()])
  }

  take(key: string, nowMs: number, minRemainingMs: number): Issued<ExchangeCredential> | undefined {
    const entry = this.#entries.get(key)
    if (entry !== undefined && entry.expiresAt.getTime() - nowMs >= minRemainingMs) return entry
    this.#entries.delete(key)
    return undefined
  }

  put(key: string, issued: Issued<ExchangeCredential>, nowMs: number): void {
    for (const [k, e] of this.#entries) if (e.expiresAt.getTime() <= nowMs) this.#entries.delete(k)
    this.#entries.set(key, issued)
  }

  forget(tokenHash: unknown): void {
    for (const [k, e] of this.#entries) if (e.ref.hashedToken === tokenHash) this.#entries.delete(k)
  }
}

/**
 * Mints one installation token with exactly the narrowed repositories and permissions
 * (`POST /app/installations/{id}/access_tokens`, composed through @octokit/app's App octokit,
 * as app.js's getInstallationOctokit does, but never cached: each grant is its own token).
 * (1) Scopes lacking a permission or a repository item are refused: GitHub would read the
 * gap as "everything". (2) With reuse on, a live cached token for the same agent, installation
 * and scopes is handed out again. (3) GitHub's 422 (installation lacks a repository or
 * permission) is UpstreamRefused; 5xx and rate limits, after octokit's retries,
 * UpstreamUnavailable. (4) A caller that gives up is answered at once; the mint runs on and
 * its token, if any, is revoked.
 * (5) A token outliving `maxTtlSeconds` is revoked and refused: GitHub's hour cannot be shortened.
 */
export async function issue(client: GitHubClient, reuse: ReuseCache, request: IssueRequest<GitHubTarget>, signal: AbortSignal): Promise<Issued<ExchangeCredential>> {
  const { system, config, host } = client
  ensureNotAborted(client, signal, 'mint an installation token')
  const wanted = toTokenRequest(request.scopes)
  if (wanted === undefined) throw new UpstreamRefused(system, 'the scopes must name at least one permission (contents:read) and one repository (repo:NAME)')
  const installationId = request.target.installationId ?? (await resolveInstallation(client, request.target, signal)).id

  const key = ReuseCache.key(request.agent.handle, installationId, request.scopes)
  if (config.reuse.enabled) {
    const cached = reuse.take(key, host.clock.now().getTime(), config.reuse.minRemainingSeconds * 1000)
    if (cached !== undefined && (await isAlive(client, cached.credential.accessToken, signal)) === 'alive') {
      host.log.info({ system, grant_id: request.grantId, installation_id: installationId }, 'reusing an unexpired installation token')
      return cached
    }
  }

  // Not cancelled with the caller: GitHub may mint even when the client hangs up, and a token
  // never read cannot be revoked. The caller is released at once; a late token is revoked.
  const minting = client.app.request('POST /app/installations/{installation_id}/access_tokens', {
    installation_id: installationId,
    permissions: { ...wanted.permissions },
    ...(wanted.repositories === undefined ? {} : { repositories: [...wanted.repositories] }),
  })
  minting.then(
    ({ data }) => {
      if (signal.aborted) void revokeToken(client, data.token, new AbortController().signal).catch(() => undefined)
    },
    () => undefined,
  )
  let data: Awaited<typeof minting>['data']
  try {
    data = (await untilAborted(signal, () => minting)).data
  } catch (error) {
    throw translate(client, error, 'mint an installation token', {
      404: `App ${config.appId} has no installation ${installationId}`,
      422: `installation ${installationId} cannot grant the requested repositories or permissions`,
    })
  }

  // An answer that is not the documented JSON (malformed, truncated, an HTML error page) is an
  // upstream fault, retryable, never blamed on the agent: octokit hands such a body over as text.
  const minted = data as Partial<typeof data> | string
  if (typeof minted !== 'object' || minted === null || typeof minted.token !== 'string' || typeof minted.expires_at !== 'string' || Number.isNaN(Date.parse(minted.expires_at))) {
    throw new UpstreamUnavailable(system, { detail: 'mint an installation token: GitHub answered without a well-formed token response' })
  }
  const expiresAt = new Date(data.expires_at)
  if (expiresAt.getTime() > host.clock.now().getTime() + request.maxTtlSeconds * 1000 + clockSkewMs) {
    await revokeToken(client, data.token, signal).catch(() => undefined)
    throw new UpstreamRefused(system, `GitHub installation tokens live until ${data.expires_at}, longer than the ${request.maxTtlSeconds} s the broker allows`)
  }
  const ref: GitHubRef = {
    installationId,
    hashedToken: hashedToken(data.token),
    repositories: wanted.repositories ?? '*',
    permissions: stringEntries(data.permissions ?? {}),
    expiresAt: data.expires_at,
  }
  const issued: Issued<ExchangeCredential> = {
    credential: { accessToken: data.token, tokenType: 'Bearer', issuedTokenType: 'urn:ietf:params:oauth:token-type:access_token' },
    ref,
    expiresAt,
    index: whoisIndex(data.token),
    // GitHub revokes an installation token only when shown it: the broker seals it until then.
    revocationSecret: data.token,
  }
  if (config.reuse.enabled) reuse.put(key, issued, host.clock.now().getTime())
  return issued
}
