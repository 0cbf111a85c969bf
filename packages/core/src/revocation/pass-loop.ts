import type { Logger } from '../ports/connector.js'

/** Runs a worker's `pass` on demand and on a timer, never two passes at once. */
export interface PassLoop {
  /** Runs passes until one finds nothing to do; a call during a pass asks for one more. */
  drain(): Promise<number>
  /** Runs a pass now, in the background (after a revoke, an enqueue). */
  wake(): void
  start(pollMs: number): void
  /** Stops the timer and waits for the pass under way. */
  stop(): Promise<void>
}

/**
 * The loop shared by the revocation cascade and the webhook deliveries: both lease due work
 * from the store in `pass`, and both must survive a pass that throws (the store went away:
 * leases expire, the next pass picks the work up again).
 */
export function createPassLoop(pass: () => Promise<number>, log: Logger, name: string): PassLoop {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<number> | undefined
  let again = false

  function drain(): Promise<number> {
    if (running) {
      again = true
      return running
    }
    running = (async () => {
      let total = 0
      do {
        again = false
        total += await pass()
      } while (again)
      return total
    })().finally(() => (running = undefined))
    return running
  }

  const wake = () => void drain().catch((error: unknown) => log.warn({ err: String(error) }, `${name} pass failed`))
  return {
    drain,
    wake,
    start(pollMs) {
      timer ??= setInterval(wake, pollMs)
      timer.unref()
    },
    async stop() {
      if (timer) clearInterval(timer)
      timer = undefined
      await running?.catch(() => undefined)
    },
  }
}
