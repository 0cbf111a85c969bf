import { createKeyRing, createLocalEventBus, systemClock } from '@lanyard/core'
import type { BusEvent, EventBus, Lanyard, Logger } from '@lanyard/core'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createRevocationStream } from './revocation-stream.js'

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} }

/** A bus whose health the test switches; publishes reach subscribers like the local bus. */
function switchableBus(): EventBus & { set(healthy: boolean, epoch: number): void } {
  const inner = createLocalEventBus()
  let healthy = true
  let epoch = 0
  return { ...inner, healthy: () => healthy, epoch: () => epoch, set: (h, e) => void ((healthy = h), (epoch = e)) }
}

const noJobs = { onRevocation: () => () => {} } as unknown as Lanyard

/** A key ring over nothing but memory: enough for signing SETs. */
function memoryKeys() {
  const records: unknown[] = []
  const store = { listSigningKeys: async () => records, putSigningKey: async (r: unknown) => void records.push(r), retireSigningKey: async () => {} }
  const sealer = { seal: (v: string) => v, open: (v: string) => v }
  return createKeyRing({ store: store as never, sealer: sealer as never, clock: systemClock, retainSeconds: 3600 })
}

afterEach(() => vi.useRealTimers())

describe('revocation stream', () => {
  it('ends every stream once the bus is lost or was lost meanwhile (epoch), and reports unhealthy', () => {
    vi.useFakeTimers()
    const bus = switchableBus()
    const stream = createRevocationStream({ keys: memoryKeys(), clock: systemClock, issuer: 'https://broker.test', log: silent, bus })
    const detach = stream.attach(noJobs)
    let ended = 0
    stream.onLost(() => void (ended += 1))
    vi.advanceTimersByTime(1000)
    expect(ended).toBe(0)
    bus.set(true, 1)
    vi.advanceTimersByTime(300)
    expect(ended).toBe(1)
    bus.set(false, 1)
    expect(stream.healthy()).toBe(false)
    vi.advanceTimersByTime(300)
    expect(ended).toBe(2)
    detach()
  })

  it('turns an agent that stopped being active, on any replica, into a signed session-revoked SET for the stream', async () => {
    const bus = switchableBus()
    const stream = createRevocationStream({ keys: memoryKeys(), clock: systemClock, issuer: 'https://broker.test', log: silent, bus })
    const detach = stream.attach(noJobs)
    const sets: string[] = []
    stream.subscribe((set) => sets.push(set))
    const changed = (status: 'active' | 'suspended'): BusEvent => ({ type: 'agent.changed', handle: 'bot@agents.test', status, generation: 2 })
    await bus.publish(changed('active'))
    await bus.publish(changed('suspended'))
    await vi.waitFor(() => expect(sets).toHaveLength(1))
    expect(decodeProtectedHeader(sets[0]!)).toMatchObject({ typ: 'secevent+jwt', alg: 'ES256' })
    expect(decodeJwt(sets[0]!)).toMatchObject({
      iss: 'https://broker.test',
      aud: 'https://broker.test/v1/events',
      sub_id: { format: 'iss_sub', iss: 'https://broker.test', sub: 'bot@agents.test' },
      events: { 'https://schemas.openid.net/secevent/caep/event-type/session-revoked': { event_timestamp: expect.any(Number) } },
    })
    detach()
  })
})
