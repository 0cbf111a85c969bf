import { Router } from 'express'
import type { Store } from '@lanyard/core'

/** /healthz: the process answers. /readyz: the store answers too (fail closed: 503 if not). */
export function healthRoutes(store: Store): Router {
  const router = Router()
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' })
  })
  router.get('/readyz', async (_req, res) => {
    try {
      await store.ping()
      res.json({ status: 'ready' })
    } catch {
      res.status(503).json({ status: 'unavailable', reason: 'store' })
    }
  })
  return router
}
