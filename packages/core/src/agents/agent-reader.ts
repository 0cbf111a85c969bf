import type { Agent } from './agent.js'
import type { EventBus } from '../ports/event-bus.js'
import type { Store } from '../ports/store.js'
import type { Clock } from '../ports/clock.js'

/**
 * Reads agents, caching them only while the event bus is healthy: a replica that lost its
 * subscription may miss a revocation, so it reads through until it has resubscribed. The cache
 * only saves reads; the store's atomic checks (beginGrant) decide.
 */
export interface AgentReader {
  /** Possibly cached (bus healthy, entry younger than `maxAgeMs`). */
  get(handle: string): Promise<Agent | undefined>
  /** Always from the store. */
  fresh(handle: string): Promise<Agent | undefined>
  close(): void
}

export function createAgentReader(deps: { store: Store; bus: EventBus; clock: Clock; maxAgeMs: number; maxEntries?: number }): AgentReader {
  const { store, bus, maxAgeMs } = deps
  const maxEntries = deps.maxEntries ?? 10_000
  const cache = new Map<string, { agent: Agent; at: number }>()
  const unsubscribe = bus.subscribe((event) => {
    if (event.type === 'agent.changed') cache.delete(event.handle)
  })
  async function fresh(handle: string): Promise<Agent | undefined> {
    const agent = await store.getAgent(handle)
    if (agent && bus.healthy()) {
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string)
      cache.set(handle, { agent, at: deps.clock.now().getTime() })
    }
    return agent
  }
  return {
    async get(handle) {
      const hit = cache.get(handle)
      if (hit && bus.healthy() && deps.clock.now().getTime() - hit.at < maxAgeMs) return hit.agent
      return fresh(handle)
    },
    fresh,
    close() {
      unsubscribe()
      cache.clear()
    },
  }
}
