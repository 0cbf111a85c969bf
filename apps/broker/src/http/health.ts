import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Router } from 'express'
import type { Clock, Store } from '@lanyard/core'
import { brokerVersion } from '../version.js'

/** Whether the store can commit a write now; one real write per interval, cached between. */
export interface Readiness {
  check(): Promise<boolean>
  /** Start-up warnings (`LANYARD_W001`: no system configured), shown in /readyz: ready, but likely not as meant. */
  readonly warnings: readonly { readonly code: string; readonly message: string }[]
}

/**
 * A read (`ping`) answers on a full disk or a store that lost its write lock; every exchange is
 * then refused. So readiness commits a write: one replay-cache entry that expires at once.
 * Checked at most once per `intervalMs`; concurrent probes share the check in flight.
 */
export function createReadiness(deps: { store: Store; clock: Clock; intervalMs: number; replicaId: string; warnings?: Readiness['warnings'] }): Readiness {
  let last: { at: number; ready: Promise<boolean> } | undefined
  const commit = async () => {
    const now = deps.clock.now()
    try {
      await deps.store.useOnce(`readyz:${deps.replicaId}:${randomUUID()}`, new Date(now.getTime() + deps.intervalMs), now)
      return true
    } catch {
      return false
    }
  }
  return {
    warnings: deps.warnings ?? [],
    check() {
      const now = deps.clock.now().getTime()
      if (last === undefined || now - last.at >= deps.intervalMs) last = { at: now, ready: commit() }
      return last.ready
    },
  }
}

/** The listener while the broker starts: 503 with Retry-After, in the body format of the path. */
export function answerStarting(req: IncomingMessage, res: ServerResponse): void {
  const oauth = req.url?.startsWith('/oauth/') === true
  const body = oauth
    ? { error: 'temporarily_unavailable', error_description: 'the broker is starting' }
    : { type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'the broker is starting' }
  res.writeHead(503, { 'content-type': oauth ? 'application/json' : 'application/problem+json', 'retry-after': '1', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
  // The body is not read: closing keeps a large upload from holding the socket.
  req.resume()
}

/** /healthz: the process answers, with the broker's version. /readyz: the store commits a write too (fail closed: 503 if not). */
export function healthRoutes(readiness: Readiness): Router {
  const router = Router()
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', version: brokerVersion })
  })
  router.get('/readyz', async (_req, res) => {
    const warnings = readiness.warnings.length === 0 ? {} : { warnings: readiness.warnings }
    if (await readiness.check()) res.json({ status: 'ready', ...warnings })
    else res.status(503).setHeader('Retry-After', '1').json({ status: 'unavailable', reason: 'store', ...warnings })
  })
  return router
}
