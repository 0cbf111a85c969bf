// A CPU profile of one broker (embedded store) under the exchange benchmark's load, alone:
//   LANYARD_CPU_PROF=/tmp/prof node --conditions=lanyard-source --import tsx test/bench/profile-exchange.ts
// writes V8 .cpuprofile files (open them in Chrome DevTools) and prints the load's result.
import { startBrokers } from './processes.js'
import { interleaved } from './load.js'
import { createTestAgent, jwtType, tokenExchange } from '../support/agent.js'

const brokers = await startBrokers({ store: 'sqlite', config: { rateLimits: { exchange: { ratePerSecond: 100000, burst: 100000 } }, systems: [{ name: 'mem', type: 'memory', upstream: 'profile' }] } })
const { client, process: proc } = brokers.replicas[0]!
const tokens: string[] = []
for (let i = 0; i < 8; i++) {
  const a = await createTestAgent(client, { bindings: [{ system: 'mem', target: { account: 'default' }, ceiling: ['read'] }] })
  tokens.push(await a.token())
}
let n = 0
const subject = { url: proc.url, next: () => ({ path: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: tokenExchange, subject_token: tokens[n++ % 8]!, subject_token_type: jwtType, resource: 'urn:lanyard:system:mem', scope: 'read' }).toString() }) }
const [r] = await interleaved([subject], { concurrency: 16, warmupMs: 500, measureMs: Number(process.env.MEASURE_MS ?? 8000), slices: 1, sliceWarmupMs: 0 })
console.log(r)
await brokers.stop()
