import { Agent } from 'node:http'
import { randomBytes } from 'node:crypto'
import { createTestAgent, jwtType, tokenExchange } from '../support/agent.js'
import { interleaved, send, type InterleaveOptions, type LoadRequest, type LoadResult, type LoadSubject } from './load.js'
import { redisUnavailable, runBenchScript, startBrokers, startCalibrationServer, startFloorServer, startOAuthPeer, type CalibrationServer } from './processes.js'
import { record } from './results.js'

export interface ExchangeBenchOptions extends InterleaveOptions {
  readonly agents: number
  /** The Redis store is also driven alone at these concurrencies (target (4)). */
  readonly redisConcurrencies: readonly [low: number, high: number]
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

/**
 * The peer a user might pick instead: oidc-provider's client-credentials grant, in its own
 * process, on its in-memory adapter (nothing durable) or on a durable SQLite one written like
 * Lanyard's store (`sqlite-adapter.ts`): the fair comparison.
 */
async function peerSubject(store: 'memory' | 'sqlite'): Promise<Subject> {
  const client = { id: 'bench', secret: randomBytes(24).toString('base64url'), resource: 'https://api.bench.test/' }
  const peer = await startOAuthPeer(client, store)
  const load: LoadRequest = {
    path: '/token',
    headers: { ...form, authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read', resource: client.resource }).toString(),
  }
  try {
    const { keepAlive } = await check(peer.url, load)
    return {
      store,
      subject: store === 'sqlite' ? 'oidc-provider, durable' : 'oidc-provider',
      url: peer.url,
      pid: peer.pid,
      next: () => load,
      ...(keepAlive ? {} : { note: 'the OAuth sandbox answers `Connection: close`, so the peer opens one loopback TCP connection per request; the broker keeps its connections' }),
      stop: () => peer.stop(),
    }
  } catch (error) {
    await peer.stop()
    throw error
  }
}

/** The minimal durable, hash-chained two-write exchange on node:http (`floor-server.ts`), sent the broker's requests. */
async function floorSubject(next: () => LoadRequest): Promise<Subject> {
  const child = await startFloorServer()
  try {
    await check(child.url, next())
    return { store: 'sqlite', subject: 'floor (node:http, 2 durable writes)', url: child.url, pid: child.pid, next, stop: () => child.stop() }
  } catch (error) {
    await child.stop()
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
    return { store: 'none', subject: `${server}, no work`, url: child.url, pid: child.pid, next, stop: () => child.stop() }
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
    return { store, subject: 'lanyard', url: process.url, pid: process.child.pid!, next, stop: () => brokers.stop() }
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
  cpu_us_per_op: result.cpuUsPerOp,
  ...(result.errors === 0 ? {} : { error_statuses: result.errorStatuses.join(',') }),
})

/**
 * Exchange throughput, latency and CPU per answer: the broker (memory connector, no upstream
 * latency) on the embedded store and on Redis, against oidc-provider's client-credentials grant
 * on a durable SQLite adapter (the fair peer) and on its in-memory one, driven by the same
 * closed loop in alternating windows. Two servers that do no work (node:http, express) and the
 * `floor` (the least a durable two-write exchange costs) run in the same windows. Then the
 * Redis store alone at a low and a high concurrency, for how its cost grows with contention.
 */
export async function exchangeBench(options: ExchangeBenchOptions): Promise<void> {
  const subjects: Subject[] = []
  const redisSubjects: Subject[] = []
  try {
    subjects.push(await peerSubject('sqlite'), await peerSubject('memory'))
    const embedded = await brokerSubject('sqlite', options.agents)
    // The calibration servers and the floor are sent the embedded broker's requests.
    subjects.push(await calibrationSubject('node:http', embedded.next), await calibrationSubject('express', embedded.next), await floorSubject(embedded.next), embedded)
    const unavailable = await redisUnavailable()
    let redisSkipped = unavailable
    if (unavailable === undefined) {
      try {
        const redis = await brokerSubject('redis', options.agents)
        subjects.push(redis)
        redisSubjects.push(redis)
      } catch (error) {
        redisSkipped = `the broker on Redis failed: ${firstLine(error)}`
      }
    }
    const results = await interleaved(subjects, options)
    const peer = results[0]!
    const byName = new Map(subjects.map((subject, i) => [`${subject.store} ${subject.subject}`, results[i]!]))
    subjects.forEach((subject, i) => {
      const result = results[i]!
      const shared = { bench: 'exchange', store: subject.store, subject: subject.subject, unit, ...metrics(result), concurrency: options.concurrency }
      // Every line carries its throughput ratio to the durable peer (the first line).
      record({ ...shared, ...(subject.note === undefined ? {} : { note: subject.note }), ...(i === 0 ? {} : { ratio: result.throughput / peer.throughput }) })
    })
    if (redisSkipped !== undefined) record({ bench: 'exchange', store: 'redis', subject: 'lanyard', unit, skipped: redisSkipped })
    // The Redis store alone at a low and a high concurrency (target (4)).
    const redisAt = new Map<number, LoadResult>()
    for (const concurrency of redisSubjects.length === 0 ? [] : options.redisConcurrencies) {
      const [result] = await interleaved(redisSubjects, { ...options, concurrency })
      redisAt.set(concurrency, result!)
      record({ bench: 'exchange', store: 'redis', subject: 'lanyard', unit, ...metrics(result!), concurrency })
    }
    recordTargets(options, { broker: byName.get('sqlite lanyard')!, peer, express: byName.get('none express, no work')!, redis: byName.get('redis lanyard'), redisAt })
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

/**
 * The four targets of issue #14, each a line with its ratio and verdict: (1) broker throughput
 * >= 1.0x the durable peer's; (2) broker CPU per exchange <= 1.5x express-no-work's per
 * request; (3) broker p99 <= 3x the durable peer's; (4) on Redis, CPU per exchange at the high
 * concurrency <= 1.3x that at the low one, and throughput >= 0.5x the embedded store's. Any
 * error answer in a compared subject fails its target.
 */
function recordTargets(options: ExchangeBenchOptions, r: { broker: LoadResult; peer: LoadResult; express: LoadResult; redis: LoadResult | undefined; redisAt: ReadonlyMap<number, LoadResult> }): void {
  const clean = (...results: LoadResult[]) => results.every((result) => result.errors === 0)
  const line = (store: string, subject: string, ratio: number, target: string, pass: boolean) => record({ bench: 'exchange', store, subject, unit: 'ratio', ratio, target, pass: pass && Number.isFinite(ratio), concurrency: options.concurrency })
  const throughput = r.broker.throughput / r.peer.throughput
  line('sqlite', 'target (1) throughput', throughput, '>= 1.0x durable peer req/s', throughput >= 1 && clean(r.broker, r.peer))
  const cpu = r.broker.cpuUsPerOp / r.express.cpuUsPerOp
  line('sqlite', 'target (2) CPU per exchange', cpu, '<= 1.5x express-no-work CPU/req', cpu <= 1.5 && clean(r.broker, r.express))
  const p99 = r.broker.p99Ms / r.peer.p99Ms
  line('sqlite', 'target (3) p99', p99, '<= 3x durable peer p99', p99 <= 3 && clean(r.broker, r.peer))
  const [low, high] = options.redisConcurrencies
  const atLow = r.redisAt.get(low)
  const atHigh = r.redisAt.get(high)
  if (r.redis === undefined || atLow === undefined || atHigh === undefined) return
  const growth = atHigh.cpuUsPerOp / atLow.cpuUsPerOp
  line('redis', `target (4a) CPU/exchange ${high} vs ${low} in flight`, growth, `<= 1.3x`, growth <= 1.3 && clean(atLow, atHigh))
  const share = r.redis.throughput / r.broker.throughput
  line('redis', 'target (4b) throughput vs embedded', share, '>= 0.5x embedded req/s', share >= 0.5 && clean(r.redis, r.broker))
}

export function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300)
}
