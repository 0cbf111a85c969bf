import { Router } from 'express'
import { z } from 'zod'
import type { Lanyard } from '@lanyard/core'
import { allow, allowOwner, ownerReach, readers } from './access.js'
import { parseInput } from './validate.js'
import { revocationJson } from './wire.js'

/** How often the job is read while a progress stream is open. */
const pollMs = 250
/** A comment line now and then keeps proxies from closing a quiet stream. */
const heartbeatMs = 15_000

/** GET /v1/revocations: `limit` (1-200, default 50) jobs created before `before`, newest first. */
export const historyQuery = z.object({ before: z.iso.datetime().optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }).strict()

/**
 * GET /v1/revocations: the history, newest first, with `next_before` for the page after.
 * GET /v1/revocations/{id}/progress: the cascade's progress as server-sent events, for the
 * console. `progress` carries the revocation (as GET /v1/revocations/{id}) each time a task
 * changes, the first one at once; `done` carries it once every task is finished (full dark),
 * and the stream ends. The job is read from the store, so a task finished by another replica
 * shows too. A client without EventSource polls GET /v1/revocations/{id} instead.
 */
export function v1RevocationRoutes(lanyard: Lanyard): Router {
  const router = Router()
  const own = ownerReach(lanyard)
  router.get('/revocations', allow(...readers), async (req, res) => {
    const { before, limit } = parseInput(historyQuery, req.query, 'query')
    const page = await lanyard.listRevocations({ ...(before === undefined ? {} : { before: new Date(before) }), limit })
    const last = page.at(-1)
    res.json({ revocations: page.map(revocationJson), ...(page.length === limit && last !== undefined ? { next_before: last.createdAt.toISOString() } : {}) })
  })
  router.get('/revocations/:id/progress', allowOwner(own.revocation, ...readers), async (req, res) => {
    const first = await lanyard.getRevocation(req.params.id)
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' })
    let last = ''
    let closed = false
    const send = (json: ReturnType<typeof revocationJson>) => {
      const data = JSON.stringify(json)
      if (data !== last) res.write(`event: progress\ndata: ${data}\n\n`)
      last = data
      if (json.status === 'done') {
        res.write(`event: done\ndata: ${data}\n\n`)
        res.end()
        return true
      }
      return false
    }
    if (send(revocationJson(first))) return
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs)
    const stop = () => {
      closed = true
      clearInterval(heartbeat)
    }
    req.once('close', stop)
    // One read at a time: the next is scheduled only when the last has answered.
    const tick = async () => {
      if (closed) return
      try {
        if (send(revocationJson(await lanyard.getRevocation(req.params.id)))) return stop()
      } catch {
        // A store blip ends the stream; the console falls back to polling.
        stop()
        res.end()
        return
      }
      setTimeout(() => void tick(), pollMs).unref()
    }
    setTimeout(() => void tick(), pollMs).unref()
  })
  return router
}
