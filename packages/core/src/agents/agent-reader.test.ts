import { describe, expect, it } from 'vitest'
import type { Agent } from './agent.js'
import type { BusEvent, EventBus } from '../ports/event-bus.js'
import type { Store } from '../ports/store/index.js'
import { createAgentReader } from './agent-reader.js'

function fakeBus() {
  const listeners = new Set<(e: BusEvent) => void>()
  const bus = {
    up: true,
    round: 0,
    publish: async (e: BusEvent) => listeners.forEach((l) => l(e)),
    subscribe: (l: (e: BusEvent) => void) => (listeners.add(l), () => listeners.delete(l)),
    healthy: () => bus.up,
    epoch: () => bus.round,
    close: async () => {},
  }
  return bus satisfies EventBus
}

function storeWith(agent: Agent) {
  const state = { agent, reads: 0 }
  const store = { getAgent: async () => (state.reads++, state.agent) } as unknown as Store
  return { store, state }
}

const agent: Agent = { handle: 'a@b.co', owner: 'o@b.co', status: 'active', tier: 0, generation: 1, labels: {}, createdAt: new Date(0), updatedAt: new Date(0) }
const clock = { now: () => new Date(0) }

describe('agent reader', () => {
  it('caches while the bus is healthy and drops an entry on its change event', async () => {
    const bus = fakeBus()
    const { store, state } = storeWith(agent)
    const reader = createAgentReader({ store, bus, clock, maxAgeMs: 60_000 })
    await reader.get('a@b.co')
    await reader.get('a@b.co')
    expect(state.reads).toBe(1)
    state.agent = { ...agent, status: 'revoked', generation: 2 }
    await bus.publish({ type: 'agent.changed', handle: 'a@b.co', status: 'revoked', generation: 2 })
    expect((await reader.get('a@b.co'))?.status).toBe('revoked')
  })

  it('reads through while the subscription is down', async () => {
    const bus = fakeBus()
    const { store, state } = storeWith(agent)
    const reader = createAgentReader({ store, bus, clock, maxAgeMs: 60_000 })
    await reader.get('a@b.co')
    bus.up = false
    await reader.get('a@b.co')
    await reader.get('a@b.co')
    expect(state.reads).toBe(3)
  })

  it('never serves an entry cached before a subscription loss, even once healthy again', async () => {
    const bus = fakeBus()
    const { store, state } = storeWith(agent)
    const reader = createAgentReader({ store, bus, clock, maxAgeMs: 60_000 })
    await reader.get('a@b.co')
    // The subscription flaps; the revocation published meanwhile is lost.
    bus.round += 2
    state.agent = { ...agent, status: 'revoked', generation: 2 }
    expect((await reader.get('a@b.co'))?.status).toBe('revoked')
  })
})
