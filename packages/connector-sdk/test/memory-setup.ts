import { createMemoryUpstream } from '@lanyard/connector-sdk'
import type { Clock } from '@lanyard/connector-sdk'
import type { ConformanceSetup } from '@lanyard/connector-sdk/testing'

/** A clock the test moves (core's FakeClock, inlined so this package's tests need nothing else). */
function manualClock(start = Date.parse('2030-01-01T00:00:00Z')): Clock & { advance(ms: number): void } {
  let ms = start
  return { now: () => new Date(ms), advance: (by) => void (ms += by) }
}

let run = 0

/** One memory system on its own upstream and clock. Shared by the conformance run and the kit's own tests. */
export async function memorySetup(revokeWith: 'ref' | 'secret'): Promise<ConformanceSetup> {
  const clock = manualClock()
  const name = `conformance-${revokeWith}-${++run}`
  const upstream = createMemoryUpstream({ name, clock, accounts: ['acme'] })
  return {
    config: { upstream: name, ttlSeconds: 600, revokeWith },
    target: { account: 'acme' },
    ceiling: ['write', 'items:reports'],
    requests: { narrower: ['read', 'items:reports'], wider: ['admin', 'items:payroll'], unknown: ['delete', 'items:', 'Read'] },
    bogus: { target: { account: 'no-such-account' } },
    host: { clock, system: 'memory-test' },
    upstream: {
      works: async (credential, scopes) => upstream.allows(credential.accessToken, scopes),
      expire: async () => clock.advance(601_000),
    },
  }
}
