import { Router } from 'express'
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface Metrics {
  readonly registry: Registry
  readonly authentications: Counter
  readonly exchangeSeconds: Histogram<'system' | 'outcome'>
  readonly httpRequests: Counter<'route' | 'status'>
}

/** One registry per broker (tests run several in one process). */
export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  return {
    registry,
    authentications: new Counter({ name: 'lanyard_authentications_total', help: 'Handle tokens issued', registers: [registry] }),
    exchangeSeconds: new Histogram({ name: 'lanyard_exchange_seconds', help: 'Token exchange latency', labelNames: ['system', 'outcome'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] }),
    httpRequests: new Counter({ name: 'lanyard_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [registry] }),
  }
}

export function metricsRoutes(metrics: Metrics): Router {
  const router = Router()
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })
  return router
}
