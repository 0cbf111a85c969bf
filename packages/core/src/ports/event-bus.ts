import type { AgentStatus } from '../agents/agent.js'

/** Published after an agent's status or generation changed in the store. */
export interface AgentChanged {
  readonly type: 'agent.changed'
  readonly handle: string
  readonly status: AgentStatus
  readonly generation: number
}

export type BusEvent = AgentChanged

/**
 * Speeds up caches across replicas; never the source of truth (Redis pub/sub is
 * at-most-once). A replica may trust a cached agent only while `healthy()` is true.
 */
export interface EventBus {
  publish(event: BusEvent): Promise<void>
  subscribe(listener: (event: BusEvent) => void): () => void
  /** False while the subscription is lost: callers must read through to the store. */
  healthy(): boolean
  /**
   * Changes whenever the subscription is lost or established again. Events published while it
   * was down are gone (pub/sub is at-most-once), so anything cached under an earlier epoch is
   * stale even once `healthy()` is true again.
   */
  epoch(): number
  close(): Promise<void>
}

/** One process, no network: always healthy. */
export function createLocalEventBus(): EventBus {
  const listeners = new Set<(event: BusEvent) => void>()
  return {
    async publish(event) {
      for (const listener of listeners) listener(event)
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    healthy: () => true,
    epoch: () => 0,
    async close() {
      listeners.clear()
    },
  }
}
