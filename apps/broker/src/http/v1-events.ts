import { Router, type RequestHandler } from 'express'
import { StoreUnavailable, type Clock } from '@lanyard/core'
import { revocationEventsPath, type RevocationStream } from '../events/revocation-stream.js'

/** A comment line well within the 45 s after which @lanyard/mcp counts a quiet stream as lost. */
const heartbeatMs = 15_000

/**
 * GET /v1/events: the revocation events stream (text/event-stream), for the admin bearer or a
 * resource server's (mounted before the admin-only /v1 router).
 * Subscribed before `ready` is sent, so nothing published after `ready` is missed; `ready`
 * carries the broker's time, before which a resource server cannot know what it missed.
 * Events: `set` (one signed CAEP SET per event, `aud` the stream's URL).
 */
export function v1EventRoutes(stream: RevocationStream, clock: Clock, auth: RequestHandler): Router {
  const router = Router()
  router.get(revocationEventsPath, auth, (req, res) => {
    // A stream opened while the bus is down could miss another replica's revocation.
    if (!stream.healthy()) throw new StoreUnavailable({ detail: 'event bus unavailable: revocation events cannot be streamed' })
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' })
    const unsubscribe = stream.subscribe((set) => res.write(`event: set\ndata: ${set}\n\n`))
    res.write(`event: ready\ndata: ${JSON.stringify({ now: Math.floor(clock.now().getTime() / 1000) })}\n\n`)
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs)
    heartbeat.unref()
    const stopWatching = stream.onLost(() => res.destroy())
    req.once('close', () => {
      clearInterval(heartbeat)
      unsubscribe()
      stopWatching()
    })
  })
  return router
}
