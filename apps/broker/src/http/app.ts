import express, { type Express } from 'express'
import { ConfigInvalid } from '@lanyard/core'
import type { Clock, Lanyard, Logger, SecretValue, Store, SystemEntry } from '@lanyard/core'
import type { Webhooks } from '../webhooks/webhooks.js'
import { adminAuth } from './admin-auth.js'
import { resourceServerAuth } from './resource-server-auth.js'
import { oauthErrorHandler, problemErrorHandler } from './error-handler.js'
import { healthRoutes } from './health.js'
import { metricsRoutes, type Metrics } from './metrics.js'
import { oauthIntrospectRoutes } from './oauth-introspect.js'
import { oauthRevokeRoutes } from './oauth-revoke.js'
import { oauthTokenRoutes } from './oauth-token.js'
import { v1AgentRoutes, v1OtherRoutes } from './v1-agents.js'
import { v1TrustRoutes } from './v1-trust.js'
import { v1WebhookRoutes } from './v1-webhooks.js'
import { v1AuditRoutes } from './v1-audit.js'
import { v1EventRoutes } from './v1-events.js'
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
  /** Revocation events for resource servers (GET /v1/events). */
  readonly revocationStream: RevocationStream
}

/** The HTTP surface. Express 5 forwards rejected promises to the error handlers. */
export function createApp(deps: AppDeps): Express {
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
  const auth = adminAuth(deps.adminToken)
  const resourceServers = resourceServerAuth(deps.adminToken, deps.systems)

  const oauth = express.Router()
  oauth.use(express.urlencoded({ extended: false, limit, parameterLimit: 50 }))
  oauth.use(oauthTokenRoutes(lanyard, metrics, resourceIndex(deps.systems)), oauthRevokeRoutes(lanyard), oauthIntrospectRoutes(lanyard, resourceServers))
  oauth.use('/oauth', (_req, res) => res.status(404).json({ error: 'invalid_request', error_description: 'no such endpoint' }))
  oauth.use(oauthErrorHandler(log))
  app.use(oauth)

  const events = express.Router()
  events.use(v1EventRoutes(deps.revocationStream, deps.clock, resourceServers))
  events.use(problemErrorHandler(log))
  app.use(events)

  const v1 = express.Router()
  v1.use(auth, express.json({ limit, strict: true }))
  v1.use(v1AgentRoutes(lanyard), v1OtherRoutes(lanyard, deps.systems), v1WebhookRoutes(deps.webhooks), v1TrustRoutes(lanyard), v1AuditRoutes(lanyard))
  v1.use((_req, res) => res.status(404).type('application/problem+json').send(JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'no such endpoint' })))
  v1.use(problemErrorHandler(log))
  app.use('/v1', v1)

  app.use(wellKnownRoutes(lanyard), healthRoutes(deps.store), metricsRoutes(metrics))
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
