import { generateKeyPair, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import { verifyAppJwt } from './app-jwt.js'
import { Faults, type FaultMatch } from './faults.js'
import { GitHubError, messages } from './github-error.js'
import { GitHubWorld, type InstallationSpec, type IssuedToken, type TokenRecord, type TokenState } from './github-world.js'

export interface GitHubSandboxOptions {
  /** The stand-in's clock in epoch ms (JWT windows, token expiry, the `date` header). Default `Date.now`. */
  readonly now?: () => number
}

/** One request as the stand-in answered it. No headers or bodies: they would hold tokens. */
export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly status: number
}

/** A local GitHub REST API for Apps: JWT-authenticated App endpoints and installation tokens. */
export interface GitHubSandbox {
  /** Base URL to use as octokit's `baseUrl` (`http://127.0.0.1:PORT`, no trailing slash). */
  readonly url: string
  /** Registers an App with a fresh RSA 2048 key; the PEM is PKCS#1, as GitHub hands it out. */
  createApp(): Promise<{ appId: number; privateKeyPem: string }>
  /** Installs an App on an account (created on first use) with the given repositories and permissions. */
  addInstallation(spec: InstallationSpec): { id: number }
  /** Uninstalls: the installation's tokens stop working, its endpoints answer 404. */
  removeInstallation(id: number): void
  /** The next `count` matching requests answer `status` (default 500) with GitHub's error body. */
  failNext(count: number, status?: number, match?: FaultMatch): void
  /** The next `count` matching requests hit GitHub's secondary rate limit (403 + `retry-after`, default 60 s). */
  rateLimitNext(count: number, options?: FaultMatch & { retryAfterSeconds?: number; status?: 403 | 429 }): void
  /** The next `count` matching requests hit the primary rate limit (`x-ratelimit-remaining: 0`). */
  primaryRateLimitNext(count: number, options?: FaultMatch & { resetInSeconds?: number }): void
  clearFaults(): void
  /** Delay before every answer, in ms. Settable at any time. */
  latencyMs: number
  tokenState(token: string): TokenState
  /** Every installation token issued so far, with its state now. */
  tokens(): IssuedToken[]
  requests(): readonly RecordedRequest[]
  close(): Promise<void>
}

type Auth = { kind: 'app'; appId: number } | { kind: 'token'; record: TokenRecord }
interface Context {
  readonly method: string
  readonly params: readonly string[]
  readonly query: URLSearchParams
  readonly url: string
  readonly body: unknown
  readonly auth: () => Promise<Auth>
}
interface Reply { status: number; json?: unknown; headers?: Record<string, string> }
interface Route { method: string; pattern: RegExp; handle: (ctx: Context) => Promise<Reply> | Reply }

const generateRsaKeyPair = promisify(generateKeyPair)
/** GitHub's page size default and cap for list endpoints. */
const defaultPerPage = 30
const maxPerPage = 100

export async function startGitHubSandbox(options: GitHubSandboxOptions = {}): Promise<GitHubSandbox> {
  const now = options.now ?? Date.now
  let url = ''
  const world = new GitHubWorld(now, () => url)
  const faults = new Faults()
  const log: RecordedRequest[] = []
  const routes = createRoutes(world)
  let latencyMs = 0

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end()
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET'
    const target = new URL(req.url ?? '/', url)
    const path = target.pathname.replace(/\/+$/, '') || '/'
    const raw = await readBody(req)
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs))
    let reply: Reply
    try {
      const fault = faults.take(method, path)
      if (fault !== undefined) throw fault
      reply = await route(method, path, target.searchParams, raw, req.headers.authorization)
    } catch (err) {
      if (!(err instanceof GitHubError)) throw err
      reply = { status: err.status, json: err.body(), headers: { ...err.headers } }
    }
    log.push({ method, path, status: reply.status })
    const headers: Record<string, string> = {
      date: new Date(now()).toUTCString(),
      'x-github-request-id': randomUUID(),
      'x-github-api-version-selected': '2022-11-28',
      ...reply.headers,
    }
    if (reply.json === undefined) {
      res.writeHead(reply.status, headers).end()
      return
    }
    res.writeHead(reply.status, { ...headers, 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(reply.json))
  }

  async function route(method: string, path: string, query: URLSearchParams, raw: string, authorization: string | undefined): Promise<Reply> {
    let body: unknown
    if (raw.trim() !== '') {
      try {
        body = JSON.parse(raw)
      } catch {
        throw new GitHubError(400, messages.problemsParsingJson)
      }
    }
    for (const r of routes) {
      const m = r.method === method ? r.pattern.exec(path) : null
      if (m === null) continue
      const params = m.slice(1).map((p) => decodeURIComponent(p ?? ''))
      return r.handle({ method, params, query, body, url: `${url}${path}`, auth: () => authenticate(world, authorization) })
    }
    throw new GitHubError(404, messages.notFound)
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    async createApp() {
      const { publicKey, privateKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 })
      const appId = world.addApp(publicKey)
      return { appId, privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() }
    },
    addInstallation: (spec) => world.addInstallation(spec),
    removeInstallation: (id) => world.removeInstallation(id),
    failNext: (count, status = 500, match = {}) => faults.serverError(count, status, match),
    rateLimitNext: (count, { retryAfterSeconds = 60, status = 403, ...match } = {}) => faults.secondaryRateLimit(count, retryAfterSeconds, status, match),
    primaryRateLimitNext: (count, { resetInSeconds = 60, ...match } = {}) =>
      faults.primaryRateLimit(count, () => Math.floor(now() / 1000) + resetInSeconds, match),
    clearFaults: () => faults.clear(),
    get latencyMs() {
      return latencyMs
    },
    set latencyMs(value: number) {
      latencyMs = value
    },
    tokenState: (token) => world.tokenState(token),
    tokens: () => world.tokens(),
    requests: () => [...log],
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        server.closeAllConnections()
      }),
  }
}

/**
 * (1) `Bearer <three dot-separated parts>` is an App JWT, checked against the App's key;
 * (2) `token <t>` or `Bearer <t>` otherwise is an installation token. Anything else is 401.
 */
async function authenticate(world: GitHubWorld, authorization: string | undefined): Promise<Auth> {
  const match = /^(bearer|token)\s+(\S+)$/i.exec(authorization?.trim() ?? '')
  if (match === null) throw new GitHubError(401, messages.requiresAuthentication)
  const [, scheme, value] = match as unknown as [string, string, string]
  if (scheme.toLowerCase() === 'bearer' && value.split('.').length === 3) {
    return { kind: 'app', appId: await verifyAppJwt(value, (id) => world.publicKeyOf(id), Math.floor(world.now() / 1000)) }
  }
  return { kind: 'token', record: world.authenticateToken(value) }
}

async function asApp(ctx: Context): Promise<number> {
  const auth = await ctx.auth()
  // GitHub tries to decode whatever it is given as a JWT on App endpoints.
  if (auth.kind !== 'app') throw new GitHubError(401, messages.jwtUndecodable)
  return auth.appId
}

async function asToken(ctx: Context): Promise<TokenRecord> {
  const auth = await ctx.auth()
  if (auth.kind !== 'token') throw new GitHubError(403, messages.notAccessibleByIntegration)
  return auth.record
}

/** `per_page`/`page` with GitHub's defaults, and a `link` header with rel="next" / "last". */
function paginate<T>(ctx: Context, all: (page: number, perPage: number) => { total: number; json: T }): Reply {
  const perPage = Math.min(Math.max(Number(ctx.query.get('per_page') ?? defaultPerPage) || defaultPerPage, 1), maxPerPage)
  const page = Math.max(Number(ctx.query.get('page') ?? 1) || 1, 1)
  const { total, json } = all(page, perPage)
  const last = Math.max(Math.ceil(total / perPage), 1)
  const link = (p: number, rel: string) => `<${ctx.url}?per_page=${perPage}&page=${p}>; rel="${rel}"`
  const links = page < last ? [link(page + 1, 'next'), link(last, 'last')] : []
  return { status: 200, json, headers: links.length > 0 ? { link: links.join(', ') } : {} }
}

function createRoutes(world: GitHubWorld): Route[] {
  const id = (ctx: Context) => Number(ctx.params[0])
  const p = (ctx: Context, i: number) => ctx.params[i] ?? ''
  return [
    { method: 'GET', pattern: /^\/app$/, handle: async (ctx) => ({ status: 200, json: world.app(await asApp(ctx)) }) },
    {
      method: 'GET',
      pattern: /^\/app\/installations$/,
      handle: async (ctx) => {
        const all = world.installationsOf(await asApp(ctx))
        return paginate(ctx, (page, perPage) => ({ total: all.length, json: all.slice((page - 1) * perPage, page * perPage) }))
      },
    },
    { method: 'GET', pattern: /^\/app\/installations\/(\d+)$/, handle: async (ctx) => ({ status: 200, json: world.installation(await asApp(ctx), id(ctx)) }) },
    { method: 'POST', pattern: /^\/app\/installations\/(\d+)\/access_tokens$/, handle: async (ctx) => world.createToken(await asApp(ctx), id(ctx), ctx.body) },
    { method: 'GET', pattern: /^\/orgs\/([^/]+)\/installation$/, handle: async (ctx) => ({ status: 200, json: world.installationForAccount(await asApp(ctx), p(ctx, 0), 'Organization') }) },
    { method: 'GET', pattern: /^\/users\/([^/]+)\/installation$/, handle: async (ctx) => ({ status: 200, json: world.installationForAccount(await asApp(ctx), p(ctx, 0)) }) },
    {
      method: 'GET',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/installation$/,
      handle: async (ctx) => ({ status: 200, json: world.installationForRepository(await asApp(ctx), p(ctx, 0), p(ctx, 1)) }),
    },
    {
      method: 'GET',
      pattern: /^\/installation\/repositories$/,
      handle: async (ctx) => {
        const record = await asToken(ctx)
        return paginate(ctx, (page, perPage) => world.installationRepositories(record, page, perPage))
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/installation\/token$/,
      handle: async (ctx) => {
        world.revokeToken(await asToken(ctx))
        return { status: 204 }
      },
    },
    {
      // Needs no permission and, on GitHub, does not count against the rate limit: a liveness check.
      method: 'GET',
      pattern: /^\/rate_limit$/,
      handle: async (ctx) => {
        await ctx.auth()
        const core = { limit: 5000, used: 0, remaining: 5000, reset: Math.floor(world.now() / 1000) + 3600 }
        return { status: 200, json: { resources: { core }, rate: core } }
      },
    },
    { method: 'GET', pattern: /^\/repos\/([^/]+)\/([^/]+)$/, handle: async (ctx) => ({ status: 200, json: world.repositoryFor(await asToken(ctx), p(ctx, 0), p(ctx, 1)) }) },
    {
      method: 'GET',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/,
      handle: async (ctx) => ({ status: 200, json: world.readFile(await asToken(ctx), p(ctx, 0), p(ctx, 1), p(ctx, 2)) }),
    },
    { method: 'PUT', pattern: /^\/repos\/([^/]+)\/([^/]+)\/contents\/(.+)$/, handle: async (ctx) => world.writeFile(await asToken(ctx), p(ctx, 0), p(ctx, 1), p(ctx, 2), ctx.body) },
  ]
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
