import { Agent } from 'node:http'
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { createTestAgent, jwtType, tokenExchange } from '../support/agent.js'
import { firstLine } from './exchange.js'
import { percentile, send } from './load.js'
import { redisUnavailable, startBrokers, type BenchBrokers } from './processes.js'
import { record } from './results.js'

export interface RevocationBenchOptions {
  readonly trials: number
  readonly replicas: number
  /** A replica still issuing this long after the revoke returned counts as never refusing. */
  readonly giveUpMs: number
}

const target = 'p99 < 50 ms'
const unit = 'ms'

/** A refusal for the right reason: an OAuth error that is neither rate limiting nor a server fault. */
function refusal(answer: { status: number; body: string }): string | undefined {
  if (answer.status < 400 || answer.status >= 500 || answer.status === 429) return undefined
  try {
    return String((JSON.parse(answer.body) as { error?: unknown }).error)
  } catch {
    return undefined
  }
}

/** One trial: a fresh agent, warm on every replica, revoked through the first; ms to the first refusal at each. */
async function trial(brokers: BenchBrokers, agents: readonly Agent[], giveUpMs: number, seen: { refusals: Set<string>; issuedAfterRevoke: number }): Promise<number[]> {
  const first = brokers.replicas[0]!.client
  const agent = await createTestAgent(first, { bindings: [{ system: 'mem', target: { account: 'default' }, ceiling: ['read'] }] })
  const body = new URLSearchParams({ grant_type: tokenExchange, subject_token: await agent.token(), subject_token_type: jwtType, resource: 'urn:lanyard:system:mem', scope: 'read' }).toString()
  const load = { path: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }
  const urls = brokers.replicas.map(({ process }) => new URL(process.url))
  // Every replica has issued to this agent (its caches are warm) before the revoke.
  await Promise.all(
    urls.map(async (url, i) => {
      const answer = await send(agents[i]!, url, load)
      if (answer.status !== 200) throw new Error(`warm-up exchange at replica ${i + 1}: ${answer.status} ${answer.body.slice(0, 200)}`)
    }),
  )
  const revoked = await first.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'bench: revocation propagation' })
  const returned = performance.now()
  if (revoked.status !== 202) throw new Error(`revoke: ${revoked.status} ${JSON.stringify(revoked.body)}`)
  return Promise.all(
    urls.map(async (url, i) => {
      for (;;) {
        const answer = await send(agents[i]!, url, load)
        const elapsed = performance.now() - returned
        const refused = refusal(answer)
        if (refused !== undefined) {
          seen.refusals.add(`${answer.status} ${refused}`)
          return elapsed
        }
        if (answer.status !== 200) throw new Error(`exchange at replica ${i + 1} after the revoke: ${answer.status} ${answer.body.slice(0, 200)}`)
        // DESIGN: once the revoke has returned, no replica issues anything to the handle.
        seen.issuedAfterRevoke += 1
        if (elapsed > giveUpMs) return Number.POSITIVE_INFINITY
      }
    }),
  )
}

const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return { p50_ms: percentile(sorted, 50), p99_ms: percentile(sorted, 99), max_ms: sorted.at(-1)! }
}

/**
 * Revocation propagation: replicas on one Redis; after a revoke returns at replica 1, how long
 * until each replica refuses the agent's next exchange (one exchange in flight per replica).
 */
export async function revocationBench(options: RevocationBenchOptions): Promise<void> {
  const skip = (reason: string) => record({ bench: 'revocation', store: 'redis', unit, target, skipped: reason })
  const unavailable = await redisUnavailable()
  if (unavailable !== undefined) return skip(unavailable)
  let brokers: BenchBrokers
  try {
    brokers = await startBrokers({ store: 'redis', count: options.replicas, config: { issuer: 'https://lanyard.bench.test', systems: [{ name: 'mem', type: 'memory', upstream: `bench-${randomBytes(4).toString('hex')}` }] } })
  } catch (error) {
    return skip(`the broker on Redis did not start: ${firstLine(error)}`)
  }
  const agents = brokers.replicas.map(() => new Agent({ keepAlive: true, maxSockets: 1 }))
  try {
    const times: number[][] = brokers.replicas.map(() => [])
    const seen = { refusals: new Set<string>(), issuedAfterRevoke: 0 }
    for (let i = 0; i < options.trials; i++) {
      const perReplica = await trial(brokers, agents, options.giveUpMs, seen)
      perReplica.forEach((ms, replica) => times[replica]!.push(ms))
    }
    times.forEach((values, i) => record({ bench: 'revocation', store: 'redis', subject: `replica ${i + 1}`, unit, ...summary(values), trials: options.trials }))
    const overall = summary(times.flat())
    record({
      bench: 'revocation',
      store: 'redis',
      subject: `all ${options.replicas} replicas`,
      unit,
      ...overall,
      trials: options.trials,
      issued_after_revoke: seen.issuedAfterRevoke,
      refusals: [...seen.refusals].join(', '),
      target,
      pass: overall.p99_ms < 50 && seen.issuedAfterRevoke === 0,
    })
  } finally {
    for (const agent of agents) agent.destroy()
    await brokers.stop()
  }
}
