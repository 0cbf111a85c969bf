import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startGitHubSandbox, type GitHubSandbox } from './index.js'

const start = Date.UTC(2025, 0, 1, 12, 0, 0)
let nowMs = start
let sandbox: GitHubSandbox
let appId: number
let appKey: KeyObject
let installationId: number

interface Answer { status: number; json: any; headers: Headers }

async function call(method: string, path: string, options: { auth?: string; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/vnd.github+json' }
  if (options.auth !== undefined) headers.authorization = options.auth
  const res = await fetch(`${sandbox.url}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) })
  const text = await res.text()
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text), headers: res.headers }
}

/** An App JWT as octokit builds it (iat 30 s back, exp = iat + 600), with overrides. */
async function appJwt(overrides: { iss?: unknown; iat?: number; exp?: number; key?: KeyObject } = {}): Promise<string> {
  const nowSeconds = Math.floor(nowMs / 1000)
  const iat = overrides.iat ?? nowSeconds - 30
  const payload = { iat, exp: overrides.exp ?? iat + 600, iss: overrides.iss ?? appId }
  return `Bearer ${await new SignJWT(payload as Record<string, unknown>).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(overrides.key ?? appKey)}`
}

async function mint(body: unknown = {}, installation = installationId): Promise<Answer> {
  return call('POST', `/app/installations/${installation}/access_tokens`, { auth: await appJwt(), body })
}

beforeAll(async () => {
  sandbox = await startGitHubSandbox({ now: () => nowMs })
  const app = await sandbox.createApp()
  appId = app.appId
  appKey = createPrivateKey(app.privateKeyPem)
  installationId = sandbox.addInstallation({
    appId,
    account: 'acme',
    repositories: ['api', 'web', 'docs'],
    permissions: { contents: 'write', pull_requests: 'write', issues: 'read' },
  }).id
})
afterAll(() => sandbox.close())
beforeEach(() => {
  nowMs = start
  sandbox.clearFaults()
  sandbox.latencyMs = 0
})

describe('App JWT', () => {
  it('hands out a PKCS#1 key, as GitHub does, and accepts a JWT signed with it', async () => {
    const app = await sandbox.createApp()
    expect(app.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/)
    const answer = await call('GET', '/app', { auth: await appJwt() })
    expect(answer.status).toBe(200)
    expect(answer.json.id).toBe(appId)
  })

  it('refuses a JWT signed by another key with GitHub 401 body', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const answer = await call('GET', '/app', { auth: await appJwt({ key: privateKey }) })
    expect(answer.status).toBe(401)
    expect(answer.json).toMatchObject({ message: 'A JSON web token could not be decoded', documentation_url: expect.stringMatching(/^https:\/\/docs\.github\.com/) })
  })

  it('refuses an unknown App id', async () => {
    const answer = await call('GET', '/app', { auth: await appJwt({ iss: appId + 777 }) })
    expect(answer.status).toBe(401)
    expect(answer.json.message).toBe('Integration not found')
  })

  it('accepts the App id as a string, as GitHub does', async () => {
    expect((await call('GET', '/app', { auth: await appJwt({ iss: String(appId) }) })).status).toBe(200)
  })

  it('enforces the 10-minute window on its own clock and says so in the messages octokit matches', async () => {
    const nowSeconds = Math.floor(nowMs / 1000)
    const tooFar = await call('GET', '/app', { auth: await appJwt({ iat: nowSeconds, exp: nowSeconds + 601 }) })
    expect(tooFar.status).toBe(401)
    expect(tooFar.json.message).toMatch(/'Expiration time' claim \('exp'\) is too far in the future/)
    const jwt = await appJwt()
    nowMs += 600_000
    const expired = await call('GET', '/app', { auth: jwt })
    expect(expired.status).toBe(401)
    expect(expired.json.message).toMatch(/'Expiration time' claim \('exp'\) must be a numeric value representing the future time/)
    nowMs = start
    const future = await call('GET', '/app', { auth: await appJwt({ iat: nowSeconds + 60, exp: nowSeconds + 300 }) })
    expect(future.json.message).toMatch(/'Issued at' claim \('iat'\) must be an Integer/)
    // octokit's auth-app reads this header to correct clock skew.
    expect(Date.parse(future.headers.get('date') ?? '')).toBe(start)
  })

  it('refuses HS256, garbage and missing credentials', async () => {
    const hs = await new SignJWT({ iss: String(appId) }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(new Uint8Array(32))
    expect((await call('GET', '/app', { auth: `Bearer ${hs}` })).json.message).toBe('A JSON web token could not be decoded')
    expect((await call('GET', '/app', { auth: 'Bearer a.b.c' })).status).toBe(401)
    expect((await call('GET', '/app')).json.message).toBe('Requires authentication')
  })

  it('refuses an installation token on App endpoints', async () => {
    const { token } = (await mint()).json
    const answer = await call('GET', '/app/installations', { auth: `token ${token}` })
    expect(answer.status).toBe(401)
  })
})

describe('installations', () => {
  it('lists, finds by id and by account login, only for the App that owns them', async () => {
    const auth = await appJwt()
    const list = await call('GET', '/app/installations', { auth })
    expect(list.json.map((i: any) => i.id)).toContain(installationId)
    expect((await call('GET', `/app/installations/${installationId}`, { auth })).json).toMatchObject({ id: installationId, app_id: appId, account: { login: 'acme', type: 'Organization' } })
    expect((await call('GET', '/orgs/acme/installation', { auth })).json.id).toBe(installationId)
    expect((await call('GET', '/users/ACME/installation', { auth })).json.id).toBe(installationId)
    expect((await call('GET', '/repos/acme/web/installation', { auth })).json.id).toBe(installationId)
    expect((await call('GET', '/orgs/nobody/installation', { auth })).status).toBe(404)

    const other = await sandbox.createApp()
    const otherAuth = await appJwt({ iss: other.appId, key: createPrivateKey(other.privateKeyPem) })
    expect((await call('GET', `/app/installations/${installationId}`, { auth: otherAuth })).status).toBe(404)
    expect((await call('POST', `/app/installations/${installationId}/access_tokens`, { auth: otherAuth })).status).toBe(404)
  })

  it('paginates with a link header', async () => {
    const user = sandbox.addInstallation({ appId, account: 'octocat', accountType: 'User', repositories: ['dotfiles'], permissions: {} })
    const auth = await appJwt()
    const first = await call('GET', '/app/installations?per_page=1', { auth })
    expect(first.json).toHaveLength(1)
    expect(first.headers.get('link')).toMatch(/page=2>; rel="next"/)
    expect((await call('GET', '/orgs/octocat/installation', { auth })).status).toBe(404)
    expect((await call('GET', '/users/octocat/installation', { auth })).json.id).toBe(user.id)
  })
})

describe('installation access tokens', () => {
  it('mints exactly the narrowed repositories and permissions, for one hour', async () => {
    const answer = await mint({ repositories: ['api'], permissions: { contents: 'read' } })
    expect(answer.status).toBe(201)
    expect(answer.json.token).toMatch(/^ghs_[A-Za-z0-9]{36}$/)
    expect(answer.json.expires_at).toBe('2025-01-01T13:00:00Z')
    expect(answer.json.permissions).toEqual({ contents: 'read' })
    expect(answer.json.repository_selection).toBe('selected')
    expect(answer.json.repositories.map((r: any) => r.full_name)).toEqual(['acme/api'])

    const auth = `token ${answer.json.token}`
    const repos = await call('GET', '/installation/repositories', { auth })
    expect(repos.json.total_count).toBe(1)
    expect(repos.json.repositories.map((r: any) => r.name)).toEqual(['api'])
    expect((await call('GET', '/repos/acme/api', { auth })).status).toBe(200)
    expect((await call('GET', '/repos/acme/web', { auth })).status).toBe(404)
    const write = await call('PUT', '/repos/acme/api/contents/README.md', { auth, body: { message: 'x', content: 'aGk=' } })
    expect(write.status).toBe(403)
    expect(write.json.message).toBe('Resource not accessible by integration')
  })

  it('lets a write token write and a read token read', async () => {
    const writer = `Bearer ${(await mint({ repositories: ['docs'], permissions: { contents: 'write' } })).json.token}`
    expect((await call('PUT', '/repos/acme/docs/contents/a/b.md', { auth: writer, body: { message: 'x', content: 'aGk=' } })).status).toBe(201)
    const reader = `token ${(await mint({ repository_ids: [], repositories: ['docs'], permissions: { contents: 'read' } })).json.token}`
    expect((await call('GET', '/repos/acme/docs/contents/a/b.md', { auth: reader })).json).toMatchObject({ path: 'a/b.md', content: 'aGk=' })
    const noContents = `token ${(await mint({ repositories: ['docs'], permissions: { issues: 'read' } })).json.token}`
    expect((await call('GET', '/repos/acme/docs/contents/a/b.md', { auth: noContents })).status).toBe(403)
  })

  it('without repositories or permissions, covers everything the installation has', async () => {
    const answer = await mint()
    expect(answer.json.repositories).toBeUndefined()
    expect(answer.json.permissions).toEqual({ metadata: 'read', contents: 'write', pull_requests: 'write', issues: 'read' })
    const repos = await call('GET', '/installation/repositories', { auth: `token ${answer.json.token}` })
    expect(repos.json.repositories.map((r: any) => r.name)).toEqual(['api', 'web', 'docs'])
  })

  it('selects by repository id too', async () => {
    const web = (await mint({ repositories: ['web'] })).json.repositories[0].id
    const answer = await mint({ repository_ids: [web] })
    expect(answer.json.repositories.map((r: any) => r.name)).toEqual(['web'])
  })

  it.each([
    ['a repository the installation lacks', { repositories: ['secret'] }, /at least one repository/],
    ['a repository id the installation lacks', { repository_ids: [1] }, /at least one repository/],
    ['a permission the installation lacks', { permissions: { administration: 'read' } }, /permissions requested are not granted/],
    ['a level above the installation', { permissions: { issues: 'write' } }, /permissions requested are not granted/],
    ['an unknown level', { permissions: { contents: 'owner' } }, /Invalid request/],
    ['a malformed repository list', { repositories: 'api' }, /Invalid request/],
  ])('answers 422 for %s and mints nothing', async (_, body, message) => {
    const before = sandbox.tokens().length
    const answer = await mint(body)
    expect(answer.status).toBe(422)
    expect(answer.json.message).toMatch(message)
    expect(sandbox.tokens()).toHaveLength(before)
  })

  it('answers 404 for an unknown installation and 400 for bad JSON', async () => {
    expect((await mint({}, 999_999)).status).toBe(404)
    const res = await fetch(`${sandbox.url}/app/installations/${installationId}/access_tokens`, { method: 'POST', headers: { authorization: await appJwt() }, body: '{' })
    expect(res.status).toBe(400)
  })

  it('records hashed_token as base64(SHA-256(token)), like the audit log', async () => {
    const { token } = (await mint()).json
    const recorded = sandbox.tokens().find((t) => t.token === token)
    expect(recorded?.hashedToken).toBe(createHash('sha256').update(token).digest('base64'))
    expect(recorded?.state).toBe('active')
  })

  it('DELETE /installation/token revokes the token it is called with', async () => {
    const { token } = (await mint()).json
    const other = (await mint()).json.token
    const auth = `token ${token}`
    expect((await call('DELETE', '/installation/token', { auth })).status).toBe(204)
    expect(sandbox.tokenState(token)).toBe('revoked')
    const after = await call('GET', '/installation/repositories', { auth })
    expect(after.status).toBe(401)
    expect(after.json.message).toBe('Bad credentials')
    expect((await call('DELETE', '/installation/token', { auth })).status).toBe(401)
    expect(sandbox.tokenState(other)).toBe('active')
    expect(sandbox.tokenState('ghs_never')).toBe('unknown')
  })

  it('GET /rate_limit answers a live token and refuses a revoked one', async () => {
    const { token } = (await mint({ repositories: ['api'], permissions: { issues: 'read' } })).json
    const auth = `token ${token}`
    expect((await call('GET', '/rate_limit', { auth })).json.resources.core.limit).toBe(5000)
    await call('DELETE', '/installation/token', { auth })
    expect((await call('GET', '/rate_limit', { auth })).status).toBe(401)
  })

  it('a token stops working at expires_at', async () => {
    const { token } = (await mint()).json
    nowMs = start + 3_600_000 - 1000
    expect((await call('GET', '/repos/acme/api', { auth: `token ${token}` })).status).toBe(200)
    nowMs = start + 3_600_000
    expect((await call('GET', '/repos/acme/api', { auth: `token ${token}` })).status).toBe(401)
    expect(sandbox.tokenState(token)).toBe('expired')
  })

  it('uninstalling kills the installation tokens', async () => {
    const id = sandbox.addInstallation({ appId, account: 'doomed', repositories: ['x'], permissions: { contents: 'read' } }).id
    const { token } = (await mint({}, id)).json
    sandbox.removeInstallation(id)
    expect((await call('GET', '/installation/repositories', { auth: `token ${token}` })).status).toBe(401)
    expect((await call('GET', `/app/installations/${id}`, { auth: await appJwt() })).status).toBe(404)
  })
})

describe('fault injection', () => {
  it('failNext answers 5xx for matching requests, before anything is minted', async () => {
    const path = `/app/installations/${installationId}/access_tokens`
    sandbox.failNext(2, 502, { path })
    const before = sandbox.tokens().length
    expect((await call('GET', '/app', { auth: await appJwt() })).status).toBe(200)
    expect((await mint()).status).toBe(502)
    expect((await mint()).status).toBe(502)
    expect(sandbox.tokens()).toHaveLength(before)
    expect((await mint()).status).toBe(201)
    expect(sandbox.requests().slice(-4).map((r) => r.status)).toEqual([200, 502, 502, 201])
  })

  it('rateLimitNext answers the secondary rate limit with retry-after', async () => {
    sandbox.rateLimitNext(1, { retryAfterSeconds: 7 })
    const answer = await mint()
    expect(answer.status).toBe(403)
    expect(answer.headers.get('retry-after')).toBe('7')
    expect(answer.json.message).toMatch(/\bsecondary rate\b/i)
    expect((await mint()).status).toBe(201)
  })

  it('primaryRateLimitNext answers x-ratelimit-remaining 0 and the reset time', async () => {
    sandbox.primaryRateLimitNext(1, { method: 'GET', resetInSeconds: 30 })
    const answer = await call('GET', '/app', { auth: await appJwt() })
    expect(answer.status).toBe(403)
    expect(answer.headers.get('x-ratelimit-remaining')).toBe('0')
    expect(answer.headers.get('x-ratelimit-reset')).toBe(String(start / 1000 + 30))
  })

  it('latencyMs delays answers', async () => {
    sandbox.latencyMs = 80
    const t0 = performance.now()
    await call('GET', '/app', { auth: await appJwt() })
    expect(performance.now() - t0).toBeGreaterThanOrEqual(75)
  })

  it('the request log holds no credentials or query strings', async () => {
    const { token } = (await mint()).json
    await call('GET', '/installation/repositories?per_page=5', { auth: `token ${token}` })
    expect(JSON.stringify(sandbox.requests())).not.toContain(token)
    expect(sandbox.requests().at(-1)).toEqual({ method: 'GET', path: '/installation/repositories', status: 200 })
  })
})
