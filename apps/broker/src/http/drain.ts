import type { Server, ServerResponse } from 'node:http'

/** Stops a server gracefully: what it is answering finishes, nothing new is taken. */
export interface Drain {
  /**
   * Stops accepting connections, ends event streams (they never finish on their own), waits
   * for every other request in flight to be answered, closing each connection as it goes idle,
   * and past `deadlineMs` closes what is left. Resolves when the server is closed.
   */
  drain(deadlineMs: number): Promise<void>
}

/** Tracks the server's requests from now on; call before it takes any. */
export function trackRequests(server: Server): Drain {
  const inFlight = new Set<ServerResponse>()
  server.on('request', (_req, res: ServerResponse) => {
    inFlight.add(res)
    res.once('close', () => inFlight.delete(res))
  })
  return {
    async drain(deadlineMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      const streaming = (res: ServerResponse) => String(res.getHeader('content-type') ?? '').startsWith('text/event-stream')
      for (const res of inFlight) if (streaming(res)) res.end()
      const deadline = Date.now() + deadlineMs
      // A keep-alive connection goes idle once its answer is written: closed at the next tick.
      const sweep = setInterval(() => {
        server.closeIdleConnections()
        if (Date.now() >= deadline) server.closeAllConnections()
      }, 50)
      server.closeIdleConnections()
      try {
        await closed
      } finally {
        clearInterval(sweep)
      }
    },
  }
}
