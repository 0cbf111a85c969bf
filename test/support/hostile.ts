import { afterAll, beforeAll, expect } from 'vitest'
import { createTestAgent, type TestAgent } from './agent.js'
import { startTestBroker, type TestBroker } from './broker.js'
import { memorySystem } from './memory.js'

export interface HostileContext {
  t: TestBroker
  agent: TestAgent
  other: TestAgent
  /** Live credentials at the upstream: hostile input must leave it at zero. */
  liveCredentials(): number
  /** Asserts that neither agent has any grant recorded and nothing is live upstream. */
  expectNothingMinted(): Promise<void>
}

/** A broker with two bound agents, for one hostile case per file; `config` is merged into its configuration. */
export function hostileBroker(config: Record<string, unknown> = {}): HostileContext {
  const mem = memorySystem('mem')
  const context = {} as HostileContext
  beforeAll(async () => {
    context.t = await startTestBroker({ config: { systems: [mem.system], ...config } })
    const binding = { system: 'mem', target: { account: 'acme' }, ceiling: ['read'] }
    context.agent = await createTestAgent(context.t, { bindings: [binding] })
    context.other = await createTestAgent(context.t, { bindings: [binding] })
    context.liveCredentials = () => mem.upstream.liveCount()
    context.expectNothingMinted = async () => {
      expect(mem.upstream.liveCount()).toBe(0)
      for (const a of [context.agent, context.other]) {
        expect((await context.t.admin('GET', `/v1/agents/${a.handle}/grants`)).body.grants).toEqual([])
      }
    }
  })
  afterAll(() => context.t.close())
  return context
}

export const jwtBearerForm = (assertion: string) => ({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion })
