import { Agent } from 'node:http'
import { randomBytes } from 'node:crypto'
import { createTestAgent, jwtType, tokenExchange } from '../support/agent.js'
import { interleaved, send, type InterleaveOptions, type LoadRequest, type LoadResult, type LoadSubject } from './load.js'
import { redisUnavailable, runBenchScript, startBrokers, startCalibrationServer, startOAuthPeer, type CalibrationServer } from './processes.js'
import { record } from './results.js'

export interface ExchangeBenchOptions extends InterleaveOptions {
  readonly agents: number
}

interface Subject extends LoadSubject {
  readonly store: string
  readonly subject: string
  /** Said about this subject in the results. */
  readonly note?: string
  stop(): Promise<void>
}

const form = { 'content-type': 'application/x-www-form-urlencoded' }
const unit = 'req/s, ms'

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

/** The peer a user might pick instead: oidc-provider's client-credentials grant, in its own process. */
async function peerSubject(): Promise<Subject> {
  const client = { id: 'bench', secret: randomBytes(24).toString('base64url'), resource: 'https://api.bench.test/' }
  const peer = await startOAuthPeer(client)
  const load: LoadRequest = {
    path: '/token',
    headers: { ...form, authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read', resource: client.resource }).toString(),
  }
  try {
    const { keepAlive } = await check(peer.url, load)
    return {
      store: 'memory',
      subject: 'oidc-provider',
      url: peer.url,
      next: () => load,
      ...(keepAlive ? {} : { note: 'the OAuth sandbox answers `Connection: close`, so the peer opens one loopback TCP connection per request; the broker keeps its connections' }),
      stop: () => peer.stop(),
    }
  } catch (error) {
    await peer.stop()
    throw error
  }
}

/**
 * A server that does no work, sent the broker's own requests (`next`): what this load generator
 * reaches at all on this machine, an upper bound for any server it drives.
 */
async function calibrationSubject(server: CalibrationServer, next: () => LoadRequest): Promise<Subject> {
  const child = await startCalibrationServer(server)
  try {
    await check(child.url, next())
    return { store: 'none', subject: `${server}, no work`, url: child.url, next, stop: () => child.stop() }
  } catch (error) {
    await child.stop()
    throw error
  }
}

/** The broker on `store`, with `agents` agents each holding its cached handle token, as the SDK does. */
async function brokerSubject(store: 'sqlite' | 'redis', agents: number): Promise<Subject> {
  const brokers = await startBrokers({ store, config: { systems: [{ name: 'mem', type: 'memory', upstream: `bench-${randomBytes(4).toString('hex')}` }] } })
  try {
    const { client, process } = brokers.replicas[0]!
    const bodies: string[] = []
    for (let i = 0; i < agents; i++) {
      const agent = await createTestAgent(client, { bindings: [{ system: 'mem', target: { account: 'default' }, ceiling: ['read'] }] })
      bodies.push(new URLSearchParams({ grant_type: tokenExchange, subject_token: await agent.token(), subject_token_type: jwtType, resource: 'urn:lanyard:system:mem', scope: 'read' }).toString())
    }
    let sequence = 0
    const next = (): LoadRequest => ({ path: '/oauth/token', headers: form, body: bodies[sequence++ % bodies.length]! })
    await check(process.url, next())
    return { store, subject: 'lanyard', url: process.url, next, stop: () => brokers.stop() }
  } catch (error) {
    await brokers.stop()
    throw error
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

/**
 * Exchange throughput and latency: the broker (memory connector, no upstream latency) on the
 * embedded store and on Redis, against oidc-provider's client-credentials grant, driven by the
 * same closed loop in alternating windows. Two servers that do no work (node:http, express)
 * run in the same windows, to show the ceiling the load generator sets for any of them.
 */
export async function exchangeBench(options: ExchangeBenchOptions): Promise<void> {
  const subjects: Subject[] = []
  try {
    subjects.push(await peerSubject())
    const embedded = await brokerSubject('sqlite', options.agents)
    subjects.push(embedded)
    // Right after the peer, and sent the embedded broker's requests.
    subjects.splice(1, 0, await calibrationSubject('node:http', embedded.next))
    subjects.splice(2, 0, await calibrationSubject('express', embedded.next))
    const unavailable = await redisUnavailable()
    let redisSkipped = unavailable
    if (unavailable === undefined) {
      try {
        subjects.push(await brokerSubject('redis', options.agents))
      } catch (error) {
        redisSkipped = `the broker on Redis failed: ${firstLine(error)}`
      }
    }
    const results = await interleaved(subjects, options)
    const peer = results[0]!
    subjects.forEach((subject, i) => {
      const result = results[i]!
      const shared = { bench: 'exchange', store: subject.store, subject: subject.subject, unit, ...metrics(result), concurrency: options.concurrency }
      // (1) the peer: the reference of every ratio; (2) a calibration server: its ratio, no
      // target; (3) a broker: its ratio, and on the embedded store the issue's target.
      if (i === 0) return record({ ...shared, ...(subject.note === undefined ? {} : { note: subject.note }) })
      const ratio = result.throughput / peer.throughput
      if (subject.store === 'none') return record({ ...shared, ratio })
      const target = subject.store === 'sqlite' ? { target: '>= 2x oidc-provider req/s', pass: ratio >= 2 && result.errors === 0 && peer.errors === 0 } : {}
      record({ ...shared, agents: options.agents, ratio, ...target })
    })
    if (redisSkipped !== undefined) record({ bench: 'exchange', store: 'redis', subject: 'lanyard', unit, skipped: redisSkipped })
    // The embedded store alone, doing one exchange's store calls (test/bench/ledger.ts), while
    // every server idles: how far the durable ledger lets any HTTP server on it go.
    const ledger = (await runBenchScript('./ledger.ts', { BENCH_LEDGER_AGENTS: String(options.agents), BENCH_LEDGER_CONCURRENCY: String(options.concurrency) })) as Omit<LoadResult, 'errors' | 'errorStatuses'>
    record({ bench: 'exchange', store: 'sqlite', subject: 'ledger alone (store calls, no HTTP)', unit, ...metrics({ ...ledger, errors: 0, errorStatuses: [] }), concurrency: options.concurrency, agents: options.agents, ratio: ledger.throughput / peer.throughput })
    // Latency of one exchange on a warm broker with nothing else in flight: one client,
    // one request at a time (the closing-note figure), for every subject alike.
    const alone = await interleaved(subjects, { ...options, concurrency: 1, measureMs: 2_000, slices: 2, warmupMs: 200 })
    subjects.forEach((subject, i) => record({ bench: 'exchange', store: subject.store, subject: `${subject.subject}, one client`, unit, ...metrics(alone[i]!), concurrency: 1 }))
  } finally {
    await Promise.all(subjects.map((subject) => subject.stop()))
  }
}

export function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300)
}
