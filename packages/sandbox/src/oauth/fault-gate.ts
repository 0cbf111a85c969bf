import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * How the gate treats new traffic: pass it on, refuse the TCP connection, answer 503, or
 * answer as a rate-limited OAuth server does (`throttled`: the status and Retry-After of
 * `setThrottle`, body `{"error":"slow_down"}`, RFC 6749 5.2 / RFC 8628 3.5).
 */
export type GateMode = 'up' | 'refuse' | 'unavailable' | 'throttled'

/** What a `throttled` gate answers. */
export interface ThrottleAnswer {
  /** 429 (default) or 503. */
  status?: 429 | 503
  /** Sent as is: delay-seconds (`"30"`) or an HTTP-date. Omitted: no header. */
  retryAfter?: string
}

/**
 * A loopback HTTP listener in front of a request handler, with the failures a connector must
 * survive: connections refused (nothing listening on the port), 503 from a proxy in front of
 * the server, and latency. The handler itself is never altered.
 */
export interface FaultGate {
  readonly port: number
  readonly mode: GateMode
  setMode(mode: GateMode): Promise<void>
  setLatency(latencyMs: number): void
  setThrottle(answer: ThrottleAnswer): void
  /** Requests answered by the gate itself (503 or throttled) since it opened. */
  readonly refused: number
  close(): Promise<void>
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void

export async function openFaultGate(handler: () => Handler, options: { keepAlive?: boolean } = {}): Promise<FaultGate> {
  let mode: GateMode = 'up'
  let latencyMs = 0
  let closed = false
  let throttle: ThrottleAnswer = {}
  let refused = 0
  const delayed = new Set<NodeJS.Timeout>()

  const server = createServer((req, res) => {
    // One connection per request: a pooled keep-alive socket that `refuse` closed would
    // otherwise fail the client's next POST at random (a race with the FIN), making tests flaky.
    // Benchmarks, which inject no faults, keep connections as any production server would.
    if (options.keepAlive !== true) res.shouldKeepAlive = false
    if (mode === 'unavailable') {
      refused++
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' }).end('Service Unavailable')
      return
    }
    if (mode === 'throttled') {
      refused++
      const headers = { 'content-type': 'application/json', 'cache-control': 'no-store', ...(throttle.retryAfter === undefined ? {} : { 'retry-after': throttle.retryAfter }) }
      // Drain the request first: answering before reading it resets the client's upload.
      req.resume().on('end', () => res.writeHead(throttle.status ?? 429, headers).end('{"error":"slow_down"}'))
      return
    }
    if (latencyMs === 0) {
      handler()(req, res)
      return
    }
    const timer = setTimeout(() => {
      delayed.delete(timer)
      if (!res.destroyed) handler()(req, res)
    }, latencyMs)
    delayed.add(timer)
  })

  await listen(server, 0)
  const { port } = server.address() as AddressInfo

  const stopListening = async (): Promise<void> => {
    for (const timer of delayed) clearTimeout(timer)
    delayed.clear()
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeAllConnections()
    await stopped
  }

  return {
    port,
    get mode() {
      return mode
    },
    get refused() {
      return refused
    },
    setThrottle(answer) {
      throttle = { ...answer }
    },
    async setMode(next) {
      if (closed) throw new Error('the fault gate is closed')
      if (next === mode) return
      // (1) refuse: stop listening, so the OS answers ECONNREFUSED as for a host that is down;
      // (2) back from refuse: listen again on the same port, so the issuer URL stays valid;
      // (3) up <-> unavailable: only the answer changes.
      if (next === 'refuse') await stopListening()
      else if (mode === 'refuse') await listen(server, port)
      mode = next
    },
    setLatency(next) {
      if (!Number.isInteger(next) || next < 0) throw new TypeError('latencyMs must be a non-negative integer')
      latencyMs = next
    },
    async close() {
      if (closed) return
      closed = true
      if (mode !== 'refuse') await stopListening()
    },
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
}
