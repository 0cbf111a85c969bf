import { StoreUnavailable } from '../errors.js'

export interface HoldOptions {
  /**
   * The hold lapses this long after it was taken, should its holder die holding it. Longer
   * than `work` can run: a holder still working past it no longer excludes anyone.
   */
  readonly leaseMs: number
  /** How long to wait for another holder; past it, StoreUnavailable (retryable). */
  readonly waitMs: number
}

/**
 * Mutual exclusion on a key among every broker process of one deployment: embedded, this
 * process; on Redis, every replica. Lent to connectors (ConnectorHost.mutex) for the upstream
 * state they read, change and write back whole, which the upstream cannot guard itself (an
 * IAM policy has no conditional write).
 */
export interface Mutex {
  hold<T>(key: string, options: HoldOptions, work: () => Promise<T>): Promise<T>
}

/**
 * The Mutex of one process: holders of a key run one after another, in arrival order. A
 * waiter that gives up keeps its place until the holder before it is done, so order holds.
 */
export function createLocalMutex(): Mutex {
  const tails = new Map<string, Promise<void>>()
  return {
    async hold(key, options, work) {
      const previous = tails.get(key) ?? Promise.resolve()
      let release!: () => void
      const tail = previous.then(() => new Promise<void>((resolve) => (release = resolve)))
      tails.set(key, tail)
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key)
      })
      let timer: NodeJS.Timeout | undefined
      try {
        const waited = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new StoreUnavailable({ detail: `"${key}" was held by another caller for longer than ${options.waitMs} ms` })), options.waitMs)
        })
        await Promise.race([previous, waited])
        clearTimeout(timer)
        return await work()
      } finally {
        clearTimeout(timer)
        // `release` exists once `previous` settled: after our work, or after the holder we gave up on.
        void previous.then(() => release())
      }
    },
  }
}
