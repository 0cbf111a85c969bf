import type { RequestListener } from 'node:http'
import express, { type Express, type RequestHandler } from 'express'
import { ConfigInvalid } from '@lanyard/core'
import type { Clock, Lanyard, Logger, SecretValue, Store, SystemEntry } from '@lanyard/core'
import type { Webhooks } from '../webhooks/webhooks.js'
import { createAdminAuthenticator } from './admin-auth.js'
import { consoleSessionRoutes, type ConsoleSessionSettings } from './console-session.js'
import { consoleOidcRoutes, type ConsoleOidcDeps } from './console-oidc.js'
import { v1AdminRoutes } from './v1-admins.js'
import { resourceServerAuth } from './resource-server-auth.js'
import { oauthErrorHandler, problemErrorHandler } from './error-handler.js'
import { healthRoutes, type Readiness } from './health.js'
import { metricsRoutes, type Metrics } from './metrics.js'
import { oauthIntrospectRoutes } from './oauth-introspect.js'
import { oauthRevokeRoutes } from './oauth-revoke.js'
import { createTokenEndpoint, oauthTokenRoutes, type TokenEndpoint } from './oauth-token.js'
import { tokenLane } from './oauth-token-lane.js'
import { presenceRoutes, type PresenceRouteSettings } from './presence.js'
import { v1AgentRoutes, v1OtherRoutes } from './v1-agents.js'
import { v1ApprovalRoutes } from './v1-approvals.js'
import { v1TierRoutes } from './v1-tiers.js'
import { v1PresenceRoutes } from './v1-presence.js'
import { v1BindingRoutes } from './v1-bindings.js'
import { v1KeyRoutes } from './v1-keys.js'
import { v1TrustRoutes } from './v1-trust.js'
import { v1WebhookRoutes } from './v1-webhooks.js'
import { v1AuditRoutes } from './v1-audit.js'
import { v1EventRoutes } from './v1-events.js'
import { v1RevocationRoutes } from './v1-revocations.js'
import { openApiRoutes } from './openapi.js'
import { consoleStaticRoutes } from './console-static.js'
import { v1SigningKeyRoutes } from './v1-signing-keys.js'
import { v1SystemRoutes } from './v1-systems.js'
import { v1ChildRoutes } from './v1-children.js'
import { v1DelegationRoutes } from './v1-delegations.js'
import type { RevocationStream } from '../events/revocation-stream.js'
import { wellKnownRoutes } from './well-known.js'

export interface AppDeps {
  readonly lanyard: Lanyard
  readonly clock: Clock
  readonly store: Store
  readonly systems: ReadonlyMap<string, SystemEntry>
  readonly adminToken: SecretValue
  readonly bodyLimitBytes: number
  readonly metrics: Metrics
  readonly log: Logger
  readonly webhooks: Webhooks
  readonly readiness: Readiness
  /** Revocation events for resource servers (GET /v1/events). */
  readonly revocationStream: RevocationStream
  readonly presence: PresenceRouteSettings
  /** The console's sessions, and its OIDC sign-in when configured (#18). */
  readonly console: ConsoleSessionSettings & { readonly oidc?: Pick<ConsoleOidcDeps, 'settings' | 'fetch' | 'allowHttp'> }
}

/** /v1 takes application/json bodies only; any other body is 415 (a form never creates an agent). */
const jsonOnly: RequestHandler = (req, _res, next) => {
  // An empty body (`Content-Length: 0`, as fetch sends on a bare POST) is no body of any type.
  const length = req.headers['content-length']
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
  if (hasBody && !req.is('application/json')) next(Object.assign(new Error('unsupported content type'), { type: 'content-type.unsupported', status: 415 }))
  else next()
}

/** What the lean token path and express's /oauth routes share: one body parser, one endpoint. */
interface OAuthShared {
  readonly parseForm: ReturnType<typeof express.urlencoded>
  readonly tokenEndpoint: TokenEndpoint
}

function oauthShared(deps: AppDeps): OAuthShared {
  return {
    parseForm: express.urlencoded({ extended: false, limit: deps.bodyLimitBytes, parameterLimit: 50 }),
    tokenEndpoint: createTokenEndpoint(deps.lanyard, deps.metrics, new Set(deps.systems.keys()), resourceIndex(deps.systems)),
  }
}

/**
 * What the broker serves: `POST /oauth/token` on the lean path (`oauth-token-lane.ts`),
 * everything else on {@link createApp}.
 */
export function createRequestListener(deps: AppDeps): RequestListener {
  const shared = oauthShared(deps)
  return tokenLane({ endpoint: shared.tokenEndpoint, parseForm: shared.parseForm, metrics: deps.metrics, log: deps.log, fallback: createApp(deps, shared) })
}

/** The express app: every route, `POST /oauth/token` too. Express 5 forwards rejected promises to the error handlers. */
export function createApp(deps: AppDeps, shared: OAuthShared = oauthShared(deps)): Express {
  const { lanyard, metrics, log } = deps
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.set('query parser', 'simple')
  app.use((req, res, next) => {
    res.on('finish', () => metrics.httpRequests.inc({ route: req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched', status: String(res.statusCode) }))
    next()
  })
  const limit = deps.bodyLimitBytes
  const admins = createAdminAuthenticator(lanyard, deps.adminToken)
  const auth = admins.middleware
  const resourceServers = resourceServerAuth(auth, deps.systems)

  const oauth = express.Router()
  // Mounted on /oauth only: a form body sent anywhere else is never parsed.
  oauth.use('/oauth', shared.parseForm)
  oauth.use(oauthTokenRoutes(shared.tokenEndpoint), oauthRevokeRoutes(lanyard), oauthIntrospectRoutes(lanyard, resourceServers))
  oauth.use('/oauth', (_req, res) => res.status(404).json({ error: 'invalid_request', error_description: 'no such endpoint' }))
  oauth.use(oauthErrorHandler(log))
  app.use(oauth)

  const events = express.Router()
  events.use(v1EventRoutes(deps.revocationStream, deps.clock, resourceServers))
  events.use(problemErrorHandler(log))
  app.use(events)

  // Children (#17): the parent's own handle token or the admin, so before the admin-only /v1.
  const children = express.Router()
  children.use(v1ChildRoutes(lanyard, auth, [jsonOnly, express.json({ limit, strict: true })]), problemErrorHandler(log))
  app.use('/v1', children)

  const v1 = express.Router()
  v1.use(auth, jsonOnly, express.json({ limit, strict: true }))
  v1.use(v1AgentRoutes(lanyard), v1BindingRoutes(lanyard), v1KeyRoutes(lanyard), v1OtherRoutes(lanyard, deps.systems), v1WebhookRoutes(deps.webhooks), v1TrustRoutes(lanyard), v1PresenceRoutes(lanyard), v1ApprovalRoutes(lanyard), v1TierRoutes(lanyard), v1AuditRoutes(lanyard), v1AdminRoutes(lanyard), v1RevocationRoutes(lanyard), v1SystemRoutes(deps.systems), v1SigningKeyRoutes(lanyard), v1DelegationRoutes(lanyard))
  v1.use((_req, res) => res.status(404).type('application/problem+json').send(JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'no such endpoint' })))
  v1.use(problemErrorHandler(log))
  app.use('/v1', v1)

  const consoleRoutes = express.Router()
  consoleRoutes.use(consoleSessionRoutes(lanyard, admins, deps.console, jsonOnly, limit))
  if (deps.console.oidc !== undefined) consoleRoutes.use(consoleOidcRoutes({ lanyard, log, session: deps.console, ...deps.console.oidc }))
  consoleRoutes.use('/console', problemErrorHandler(log))
  app.use(consoleRoutes)
  app.use(consoleStaticRoutes())

  app.use(openApiRoutes(lanyard.settings.issuer))
  app.use(wellKnownRoutes(lanyard), presenceRoutes(lanyard, deps.presence), healthRoutes(deps.readiness), metricsRoutes(metrics))
  app.use((_req, res) => res.status(404).json({ error: 'not_found' }))
  app.use(problemErrorHandler(log))
  return app
}

/** RFC 8707 resource URL -> system name, from the systems that serve one (mcp). */
function resourceIndex(systems: ReadonlyMap<string, SystemEntry>): ReadonlyMap<string, string> {
  const index = new Map<string, string>()
  const issues: string[] = []
  for (const system of systems.values()) {
    for (const resource of system.instance.resources ?? []) {
      const taken = index.get(resource)
      if (taken !== undefined) issues.push(`systems: "${system.name}" and "${taken}" both serve resource ${resource}`)
      index.set(resource, system.name)
    }
  }
  if (issues.length > 0) throw new ConfigInvalid(issues)
  return index
}
