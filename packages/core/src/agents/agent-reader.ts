import type { Agent } from './agent.js'
import type { EventBus } from '../ports/event-bus.js'
import type { AgentStore } from '../ports/store/index.js'
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

export function createAgentReader(deps: { store: AgentStore; bus: EventBus; clock: Clock; maxAgeMs: number; maxEntries?: number }): AgentReader {
  const { store, bus, maxAgeMs } = deps
  const maxEntries = deps.maxEntries ?? 10_000
  const cache = new Map<string, { agent: Agent; at: number; epoch: number }>()
  // Bumped on every change event: a read that raced one is not cached.
  let changes = 0
  const unsubscribe = bus.subscribe((event) => {
    changes += 1
    if (event.type === 'agent.changed') cache.delete(event.handle)
  })
  async function fresh(handle: string): Promise<Agent | undefined> {
    // The epoch is read before the store: an event published after this read but before the
    // subscription dropped is then caught by the epoch change.
    const epoch = bus.epoch()
    const seen = changes
    const agent = await store.getAgent(handle)
    if (agent && bus.healthy() && bus.epoch() === epoch && changes === seen) {
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string)
      cache.set(handle, { agent, at: deps.clock.now().getTime(), epoch })
    }
    return agent
  }
  return {
    async get(handle) {
      const hit = cache.get(handle)
      if (hit && bus.healthy() && hit.epoch === bus.epoch() && deps.clock.now().getTime() - hit.at < maxAgeMs) return hit.agent
      return fresh(handle)
    },
    fresh,
    close() {
      unsubscribe()
      cache.clear()
    },
  }
}
