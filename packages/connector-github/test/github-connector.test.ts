import { createHash } from 'node:crypto'
import { SecretValue, type ConnectorHost, type IssueRequest } from '@lanyard/connector-sdk'
import { createTestHost } from '@lanyard/connector-sdk/testing'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { githubConnector, type GitHubTarget } from '../src/index.js'
import { startGitHubFixture, type GitHubFixture } from './fixture.js'

const ceiling = ['contents:write', 'pull_requests:write', 'issues:read', 'repo:api', 'repo:docs']
const signal = () => new AbortController().signal

let github: GitHubFixture
let host: ConnectorHost & { logs: readonly unknown[] }
let tokensBefore = 0
let requestsBefore = 0

// One stand-in per file (an App key costs a few hundred ms); each test looks only at what it caused.
beforeAll(async () => {
  github = await startGitHubFixture()
})
afterAll(() => github.sandbox.close())
beforeEach(() => {
  host = createTestHost({ clock: github.clock, system: 'github-acme' })
  github.clock.reset()
  github.sandbox.clearFaults()
  github.sandbox.latencyMs = 0
  tokensBefore = github.sandbox.tokens().length
  requestsBefore = github.sandbox.requests().length
})

/** Tokens the stand-in minted during this test. */
const minted = () => github.sandbox.tokens().slice(tokensBefore)
const requestsTo = (path: string) => github.sandbox.requests().slice(requestsBefore).filter((r) => r.path === path).map((r) => r.status)

async function connect(overrides: Record<string, unknown> = {}) {
  const parsed = await githubConnector.config['~standard'].validate({ ...github.config, ...overrides })
  if (parsed.issues !== undefined) throw new Error(parsed.issues.map((i) => i.message).join('; '))
  return githubConnector.create(parsed.value, host)
}

function request(scopes: readonly string[], overrides: Partial<IssueRequest<GitHubTarget>> = {}): IssueRequest<GitHubTarget> {
  return {
    grantId: 'grant-1',
    agent: { handle: 'deploy-bot@agents.acme.dev', owner: 'platform@acme.dev', tier: 1 },
    target: { installationId: github.installationId },
    scopes,
    maxTtlSeconds: 3600,
    ...overrides,
  }
}

const activeTokens = () => minted().filter((t) => t.state === 'active')

describe('config', () => {
  async function issuesOf(value: unknown): Promise<string[]> {
    const result = await githubConnector.config['~standard'].validate(value)
    return (result.issues ?? []).map((i) => `${(i.path ?? []).join('.')}: ${i.message}`)
  }

  it('applies defaults and accepts GitHub PKCS#1 keys', async () => {
    const result = await githubConnector.config['~standard'].validate({ appId: 1, privateKey: github.config.privateKey })
    expect(result.issues).toBeUndefined()
    expect(result).toMatchObject({ value: { baseUrl: 'https://api.github.com', retries: 2, reuse: { enabled: false } } })
  })

  it('refuses a key that is not an RSA private key, without printing it', async () => {
    const issues = await issuesOf({ ...github.config, privateKey: new SecretValue('-----BEGIN PRIVATE KEY-----\nnot-a-key\n-----END PRIVATE KEY-----') })
    expect(issues).toEqual(['privateKey: expected the App private key: an RSA key in PEM form'])
  })

  it('refuses plain http except to loopback, and names unknown fields', async () => {
    expect(await issuesOf({ ...github.config, baseUrl: 'http://github.example.com' })).toEqual([expect.stringMatching(/^baseUrl: expected an https URL/)])
    expect(await issuesOf({ ...github.config, appID: 3 })).toEqual([expect.stringContaining('appID')])
  })
})

describe('issue', () => {
  it('mints exactly the narrowed repositories and permissions and records hashed_token', async () => {
    const connector = await connect()
    const scopes = connector.narrow(ceiling, ['contents:read', 'repo:api'])
    const issued = await connector.issue(request(scopes), signal())
    const token = issued.credential.accessToken
    const upstream = minted().find((t) => t.token === token)
    expect(upstream).toMatchObject({ repositories: ['api'], permissions: { contents: 'read' }, installationId: github.installationId })
    expect(issued.expiresAt).toEqual(upstream?.expiresAt)
    const hash = createHash('sha256').update(token).digest('base64')
    expect(issued.index).toEqual({ github_hashed_token: hash })
    expect(issued.ref).toMatchObject({ installationId: github.installationId, hashedToken: hash, repositories: ['api'], permissions: { contents: 'read' } })
    expect(JSON.stringify(issued.ref)).not.toContain(token)
    expect(issued.revocationSecret).toBe(token)
    expect(await github.works(issued.credential, ['repo:api', 'contents:read'])).toBe(true)
    expect(await github.works(issued.credential, ['repo:docs'])).toBe(false)
  })

  it('a request naming only permissions gets the ceiling repositories, not the whole installation', async () => {
    const connector = await connect()
    const issued = await connector.issue(request(connector.narrow(ceiling, ['issues:read'])), signal())
    expect(minted().at(-1)?.repositories).toEqual(['api', 'docs'])
    expect(await github.works(issued.credential, ['repo:web'])).toBe(false)
  })

  it('repo:* asks GitHub for every repository of the installation', async () => {
    const connector = await connect()
    const issued = await connector.issue(request(['contents:read', 'repo:*']), signal())
    expect(issued.ref).toMatchObject({ repositories: '*' })
    expect(await github.works(issued.credential, ['repo:*'])).toBe(true)
  })

  it('resolves an account-only target', async () => {
    const connector = await connect()
    await connector.issue(request(['contents:read', 'repo:api'], { target: { account: 'acme' } }), signal())
    expect(minted().at(-1)?.installationId).toBe(github.installationId)
  })

  it('refuses scopes that leave a dimension open instead of minting everything', async () => {
    const connector = await connect()
    await expect(connector.issue(request(['repo:api']), signal())).rejects.toMatchObject({ code: 'ERR_UPSTREAM_REFUSED', message: expect.stringMatching(/at least one permission/) })
    expect(minted()).toHaveLength(0)
  })

  it('refuses a widened scope naming it, before anything is minted', async () => {
    const connector = await connect()
    expect(() => connector.narrow(ceiling, ['contents:read', 'repo:secret'])).toThrow(expect.objectContaining({ code: 'ERR_SCOPE_WIDENING', message: 'scope "repo:secret" exceeds the binding ceiling' }))
    expect(() => connector.narrow(ceiling, ['administration:write'])).toThrow(expect.objectContaining({ code: 'ERR_SCOPE_WIDENING', scope: 'administration:write' }))
  })

  it('GitHub refusing the repositories is UpstreamRefused in our words', async () => {
    const connector = await connect()
    const error = await connector.issue(request(['contents:read', 'repo:ghost']), signal()).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ERR_UPSTREAM_REFUSED', message: `system "github-acme" refused the request: installation ${github.installationId} cannot grant the requested repositories or permissions` })
  })

  it('refuses a tampered App key with a clear error; health says so too', async () => {
    const connector = await connect({ privateKey: github.otherKey })
    await expect(connector.issue(request(['contents:read', 'repo:api']), signal())).rejects.toMatchObject({
      code: 'ERR_UPSTREAM_REFUSED',
      message: expect.stringContaining(`privateKey is not a key of App ${github.appId}`),
    })
    expect(await connector.health(signal())).toEqual({ ok: false, detail: expect.stringContaining('privateKey is not a key of App') })
    expect(minted()).toHaveLength(0)
  })

  it('refuses a wrong App id with a clear error', async () => {
    const connector = await connect({ appId: github.appId + 4242 })
    await expect(connector.issue(request(['contents:read', 'repo:api']), signal())).rejects.toMatchObject({
      code: 'ERR_UPSTREAM_REFUSED',
      message: expect.stringContaining(`GitHub knows no App ${github.appId + 4242}; check appId`),
    })
  })

  it('works when the GitHub clock is hours ahead (octokit corrects the JWT from the date header)', async () => {
    const connector = await connect()
    github.clock.advanceMs(5 * 3_600_000)
    const issued = await connector.issue(request(['contents:read', 'repo:api']), signal())
    expect(issued.expiresAt.getTime()).toBe(Math.floor(github.clock.now().getTime() / 1000) * 1000 + 3_600_000)
  })

  it('revokes and refuses a token that outlives maxTtlSeconds', async () => {
    const connector = await connect()
    await expect(connector.issue(request(['contents:read', 'repo:api'], { maxTtlSeconds: 900 }), signal())).rejects.toMatchObject({ code: 'ERR_UPSTREAM_REFUSED', message: expect.stringMatching(/longer than the 900 s/) })
    expect(minted().map((t) => t.state)).toEqual(['revoked'])
  })
})

describe('upstream trouble', () => {
  const mintPath = () => `/app/installations/${github.installationId}/access_tokens`

  it('retries 5xx with backoff and then succeeds', async () => {
    const connector = await connect()
    github.sandbox.failNext(2, 502, { path: mintPath() })
    await connector.issue(request(['contents:read', 'repo:api']), signal())
    expect(requestsTo(mintPath())).toEqual([502, 502, 201])
  })

  it('gives up after the configured retries: UpstreamUnavailable, nothing minted', async () => {
    const connector = await connect()
    github.sandbox.failNext(3, 503, { path: mintPath() })
    await expect(connector.issue(request(['contents:read', 'repo:api']), signal())).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE', message: 'system "github-acme" is unavailable: GitHub answered 503' })
    expect(minted()).toHaveLength(0)
  })

  it('waits out a short secondary rate limit', async () => {
    const connector = await connect()
    github.sandbox.rateLimitNext(1, { path: mintPath(), retryAfterSeconds: 1 })
    await connector.issue(request(['contents:read', 'repo:api']), signal())
    expect(requestsTo(mintPath())).toEqual([403, 201])
  })

  it('does not wait out a long one: temporarily unavailable at once', async () => {
    const connector = await connect()
    github.sandbox.rateLimitNext(1, { path: mintPath(), retryAfterSeconds: 60 })
    const t0 = performance.now()
    await expect(connector.issue(request(['contents:read', 'repo:api']), signal())).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE' })
    expect(performance.now() - t0).toBeLessThan(5000)
    expect(minted()).toHaveLength(0)
  })

  it('an exhausted primary rate limit is UpstreamUnavailable, not a wait until the reset', async () => {
    const connector = await connect()
    github.sandbox.primaryRateLimitNext(1, { path: mintPath(), resetInSeconds: 600 })
    await expect(connector.issue(request(['contents:read', 'repo:api']), signal())).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE' })
    expect(minted()).toHaveLength(0)
  })

  it('a 5xx on revoke is UpstreamUnavailable, for the cascade to retry', async () => {
    const connector = await connect()
    const issued = await connector.issue(request(['contents:read', 'repo:api']), signal())
    github.sandbox.failNext(3, 500, { method: 'DELETE' })
    const revokeRequest = { grantId: 'grant-1', handle: 'deploy-bot@agents.acme.dev', ref: issued.ref, issuedAt: github.clock.now(), expiresAt: issued.expiresAt, secret: issued.revocationSecret ?? '' }
    await expect(connector.revoke(revokeRequest, signal())).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE' })
    expect(activeTokens()).toHaveLength(1)
    expect(await connector.revoke(revokeRequest, signal())).toEqual({ kind: 'revoked' })
  })

  it('a 429 on revoke carries GitHub\'s retry-after, for the cascade to honour; the token stays live until then', async () => {
    const connector = await connect()
    const issued = await connector.issue(request(['contents:read', 'repo:api']), signal())
    github.sandbox.rateLimitNext(1, { method: 'DELETE', status: 429, retryAfterSeconds: 42 })
    const revokeRequest = { grantId: 'grant-1', handle: 'deploy-bot@agents.acme.dev', ref: issued.ref, issuedAt: github.clock.now(), expiresAt: issued.expiresAt, secret: issued.revocationSecret ?? '' }
    await expect(connector.revoke(revokeRequest, signal())).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE', retryAfterMs: 42_000, message: expect.stringContaining('GitHub answered 429 (rate limited)') })
    expect(activeTokens()).toHaveLength(1)
    github.sandbox.primaryRateLimitNext(1, { method: 'DELETE', resetInSeconds: 600 })
    await expect(connector.revoke(revokeRequest, signal())).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE', retryAfterMs: expect.any(Number) })
    expect(await connector.revoke(revokeRequest, signal())).toEqual({ kind: 'revoked' })
  })

  it('a caller that gives up mid-mint gets an error at once, and the late token is revoked', async () => {
    const connector = await connect()
    github.sandbox.latencyMs = 300
    const controller = new AbortController()
    const issuing = connector.issue(request(['contents:read', 'repo:api']), controller.signal)
    setTimeout(() => controller.abort(), 50)
    await expect(issuing).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE' })
    github.sandbox.latencyMs = 0
    await vi.waitFor(() => expect(minted().map((t) => t.state)).toEqual(['revoked']), { timeout: 5000 })
  })
})

describe('revoke', () => {
  async function issued() {
    const connector = await connect()
    const result = await connector.issue(request(['contents:read', 'repo:api']), signal())
    const revokeRequest = { grantId: 'grant-1', handle: 'deploy-bot@agents.acme.dev', ref: JSON.parse(JSON.stringify(result.ref)), issuedAt: github.clock.now(), expiresAt: result.expiresAt }
    return { connector, result, revokeRequest }
  }

  it('DELETE /installation/token as the token: revoked, then revoked again (idempotent)', async () => {
    const { connector, result, revokeRequest } = await issued()
    expect(await connector.revoke({ ...revokeRequest, secret: result.credential.accessToken }, signal())).toEqual({ kind: 'revoked' })
    expect(github.sandbox.tokenState(result.credential.accessToken)).toBe('revoked')
    expect(await connector.revoke({ ...revokeRequest, secret: result.credential.accessToken }, signal())).toEqual({ kind: 'revoked' })
  })

  it('expired when it already expired', async () => {
    const { connector, result, revokeRequest } = await issued()
    github.clock.advanceMs(3_600_000)
    expect(await connector.revoke({ ...revokeRequest, secret: result.credential.accessToken }, signal())).toEqual({ kind: 'expired' })
  })

  it('without the token: unrevocable until its expiry', async () => {
    const { connector, result, revokeRequest } = await issued()
    expect(await connector.revoke(revokeRequest, signal())).toEqual({ kind: 'unrevocable-until', until: result.expiresAt })
  })

  it('refuses a token that is not the grant one', async () => {
    const { connector, revokeRequest } = await issued()
    const other = await connector.issue(request(['contents:read', 'repo:docs']), signal())
    await expect(connector.revoke({ ...revokeRequest, secret: other.credential.accessToken }, signal())).rejects.toMatchObject({ code: 'ERR_UPSTREAM_REFUSED' })
    expect(github.sandbox.tokenState(other.credential.accessToken)).toBe('active')
  })
})

describe('validateBinding', () => {
  it('resolves an account login to its installation and checks the ceiling with a token it revokes', async () => {
    const connector = await connect()
    expect(await connector.validateBinding({ account: 'ACME' }, ceiling, signal())).toEqual({ installationId: github.installationId, account: 'acme' })
    expect(minted().map((t) => [t.state, t.permissions])).toEqual([['revoked', { metadata: 'read' }]])
    expect(await connector.validateBinding({ installationId: github.installationId }, ['contents:read', 'repo:*'], signal())).toEqual({ installationId: github.installationId, account: 'acme' })
  })

  it('looks an organisation up at /orgs/{org}/installation, and a user account at /users/{username}/installation after the org lookup 404s', async () => {
    const connector = await connect()
    await connector.validateBinding({ account: 'acme' }, ['metadata:read', 'repo:api'], signal())
    expect(requestsTo('/orgs/acme/installation')).toEqual([200])
    expect(requestsTo('/users/acme/installation')).toEqual([])
    const user = github.sandbox.addInstallation({ appId: github.appId, account: 'octo-dev', accountType: 'User', repositories: ['dotfiles'], permissions: { contents: 'read' } })
    expect(await connector.validateBinding({ account: 'octo-dev' }, ['contents:read', 'repo:dotfiles'], signal())).toEqual({ installationId: user.id, account: 'octo-dev' })
    expect(requestsTo('/orgs/octo-dev/installation')).toEqual([404])
    expect(requestsTo('/users/octo-dev/installation')).toEqual([200])
  })

  const byId = () => ({ installationId: github.installationId })
  it.each([
    ['an installation id and account that disagree', () => ({ installationId: github.installationId, account: 'other' }), ceiling, /is on account "acme", not "other"/],
    ['an account without the App', () => ({ account: 'nobody' }), ceiling, /is not installed on account "nobody"/],
    ['an unknown installation', () => ({ installationId: 999_999 }), ceiling, /has no installation 999999/],
    ['a permission the installation lacks', byId, [...ceiling, 'workflows:write'], /"workflows:write" exceeds what installation \d+ holds \(workflows: none\)/],
    ['a level above the installation', byId, ['issues:write', 'checks:read', 'repo:api'], /"checks:read" exceeds/],
    ['a repository the installation does not reach', byId, ['contents:read', 'repo:api', 'repo:ghost'], /does not reach every ceiling repository/],
    ['a ceiling without repositories', byId, ['contents:read'], /at least one permission .* and one repository item/],
  ])('refuses %s with BindingInvalid', async (_, target, ceilingItems, message) => {
    const connector = await connect()
    const error = await connector.validateBinding(target(), ceilingItems, signal()).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'ERR_BINDING_INVALID', message: expect.stringMatching(message) })
    expect(activeTokens()).toHaveLength(0)
  })
})

describe('reuse', () => {
  it('hands the same agent its unexpired token for the same scopes, never another agent', async () => {
    const connector = await connect({ reuse: { enabled: true, minRemainingSeconds: 1800 } })
    const scopes = ['contents:read', 'repo:api']
    const first = await connector.issue(request(scopes), signal())
    const again = await connector.issue(request([...scopes].reverse(), { grantId: 'grant-2' }), signal())
    expect(again.credential.accessToken).toBe(first.credential.accessToken)
    const otherAgent = await connector.issue(request(scopes, { agent: { handle: 'other@agents.acme.dev', owner: 'x@acme.dev', tier: 1 } }), signal())
    expect(otherAgent.credential.accessToken).not.toBe(first.credential.accessToken)
    const otherScopes = await connector.issue(request(['contents:read', 'repo:docs']), signal())
    expect(otherScopes.credential.accessToken).not.toBe(first.credential.accessToken)
    github.clock.advanceMs(1801 * 1000)
    const late = await connector.issue(request(scopes), signal())
    expect(late.credential.accessToken).not.toBe(first.credential.accessToken)
  })

  it('never hands out a token that was revoked, here or elsewhere', async () => {
    const connector = await connect({ reuse: { enabled: true } })
    const scopes = ['contents:read', 'repo:api']
    const first = await connector.issue(request(scopes), signal())
    // Revoked by another replica: the cached token fails the liveness check.
    await fetch(`${github.sandbox.url}/installation/token`, { method: 'DELETE', headers: { authorization: `token ${first.credential.accessToken}` } })
    const second = await connector.issue(request(scopes), signal())
    expect(second.credential.accessToken).not.toBe(first.credential.accessToken)
    await connector.revoke({ grantId: 'g', handle: 'h', ref: second.ref, issuedAt: github.clock.now(), expiresAt: second.expiresAt, secret: second.credential.accessToken }, signal())
    const third = await connector.issue(request(scopes), signal())
    expect(third.credential.accessToken).not.toBe(second.credential.accessToken)
  })

  it('is off by default', async () => {
    const connector = await connect()
    const scopes = ['contents:read', 'repo:api']
    const first = await connector.issue(request(scopes), signal())
    expect((await connector.issue(request(scopes), signal())).credential.accessToken).not.toBe(first.credential.accessToken)
  })
})

describe('logs', () => {
  it('hold no token', async () => {
    const connector = await connect()
    github.sandbox.rateLimitNext(1, { retryAfterSeconds: 60 })
    await connector.issue(request(['contents:read', 'repo:api']), signal()).catch(() => undefined)
    const issued = await connector.issue(request(['contents:read', 'repo:api']), signal())
    expect(host.logs.length).toBeGreaterThan(0)
    expect(JSON.stringify(host.logs)).not.toContain(issued.credential.accessToken.slice(4, 20))
  })
})
