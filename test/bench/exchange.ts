import { Agent } from 'node:http'
import { randomBytes } from 'node:crypto'
import { createTestAgent, jwtType, tokenExchange } from '../support/agent.js'
import { closedLoop, send, type LoadRequest, type LoadResult } from './load.js'
import { redisUnavailable, startBrokers, startOAuthPeer } from './processes.js'
import { record } from './results.js'

export interface ExchangeBenchOptions {
  readonly concurrency: number
  readonly agents: number
  readonly warmupMs: number
  readonly measureMs: number
}

const form = { 'content-type': 'application/x-www-form-urlencoded' }

/** One request outside the measurement: proves the subject answers as expected before it is timed. */
async function check(url: string, load: LoadRequest): Promise<{ keepAlive: boolean }> {
  const agent = new Agent({ keepAlive: true })
  try {
    const answer = await send(agent, new URL(url), load)
    if (answer.status !== 200 || !('access_token' in JSON.parse(answer.body))) throw new Error(`${url}${load.path} answered ${answer.status}: ${answer.body.slice(0, 200)}`)
    return { keepAlive: answer.keepAlive }
  } finally {
    agent.destroy()
  }
}

const metrics = (result: LoadResult) => ({
  throughput: result.throughput,
  p50_ms: result.p50Ms,
  p99_ms: result.p99Ms,
  requests: result.requests,
  errors: result.errors,
  ...(result.errors === 0 ? {} : { error_statuses: result.errorStatuses.join(',') }),
})

/** The peer a user might pick instead: oidc-provider's client-credentials grant. */
async function measurePeer(options: ExchangeBenchOptions): Promise<LoadResult> {
  const client = { id: 'bench', secret: randomBytes(24).toString('base64url'), resource: 'https://api.bench.test/' }
  const peer = await startOAuthPeer(client)
  try {
    const load: LoadRequest = {
      path: '/token',
      headers: { ...form, authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read', resource: client.resource }).toString(),
    }
    const { keepAlive } = await check(peer.issuer, load)
    const result = await closedLoop({ url: peer.issuer, ...options, next: () => load })
    record({
      bench: 'exchange',
      store: 'memory',
      subject: 'oidc-provider',
      unit: 'req/s, ms',
      ...metrics(result),
      concurrency: options.concurrency,
      ...(keepAlive ? {} : { note: 'the OAuth sandbox answers `Connection: close`, so the peer opens one loopback TCP connection per request; the broker keeps its connections' }),
    })
    return result
  } finally {
    await peer.stop()
  }
}

async function measureBroker(store: 'sqlite' | 'redis', options: ExchangeBenchOptions, peer: LoadResult): Promise<void> {
  const brokers = await startBrokers({ store, config: { systems: [{ name: 'mem', type: 'memory', upstream: `bench-${randomBytes(4).toString('hex')}` }] } })
  try {
    const { client, process } = brokers.replicas[0]!
    const bodies: string[] = []
    for (let i = 0; i < options.agents; i++) {
      const agent = await createTestAgent(client, { bindings: [{ system: 'mem', target: { account: 'default' }, ceiling: ['read'] }] })
      // Each agent exchanges its cached handle token, as the SDK does.
      const handleToken = await agent.token()
      bodies.push(new URLSearchParams({ grant_type: tokenExchange, subject_token: handleToken, subject_token_type: jwtType, resource: 'urn:lanyard:system:mem', scope: 'read' }).toString())
    }
    const loadOf = (i: number): LoadRequest => ({ path: '/oauth/token', headers: form, body: bodies[i % bodies.length]! })
    await check(process.url, loadOf(0))
    const result = await closedLoop({ url: process.url, ...options, next: loadOf })
    const ratio = result.throughput / peer.throughput
    const target = store === 'sqlite' ? { target: '>= 2x oidc-provider req/s', pass: ratio >= 2 && result.errors === 0 && peer.errors === 0 } : {}
    record({ bench: 'exchange', store, subject: 'lanyard', unit: 'req/s, ms', ...metrics(result), concurrency: options.concurrency, agents: options.agents, ratio, ...target })
  } finally {
    await brokers.stop()
  }
}

/**
 * Exchange throughput and latency: the broker (memory connector, no upstream latency) on the
 * embedded store and on Redis, against oidc-provider's client-credentials grant, driven by the
 * same closed loop.
 */
export async function exchangeBench(options: ExchangeBenchOptions): Promise<void> {
  const peer = await measurePeer(options)
  await measureBroker('sqlite', options, peer)
  const unavailable = await redisUnavailable()
  if (unavailable !== undefined) {
    record({ bench: 'exchange', store: 'redis', subject: 'lanyard', unit: 'req/s, ms', skipped: unavailable })
    return
  }
  try {
    await measureBroker('redis', options, peer)
  } catch (error) {
    record({ bench: 'exchange', store: 'redis', subject: 'lanyard', unit: 'req/s, ms', skipped: `the broker on Redis failed: ${firstLine(error)}` })
  }
}

export function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300)
}
