import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Redis } from 'ioredis'
import { brokerClient, testMasterKey, type BrokerClient } from '../support/broker.js'
import { spawnBroker, type BrokerProcess } from '../support/process.js'

export const redisUrl = process.env.LANYARD_REDIS_URL || 'redis://127.0.0.1:6379'

/** What every bench broker shares: quiet logs, an ephemeral port, per-agent limits out of the way. */
export const baseConfig = {
  logLevel: 'warn',
  listen: '127.0.0.1:0',
  // The schema's ceiling (100,000/s per agent): far above what two cores can serve.
  rateLimits: { exchange: { ratePerSecond: 100_000, burst: 100_000 } },
}

export interface BenchBrokers {
  readonly replicas: ReadonlyArray<{ process: BrokerProcess; client: BrokerClient }>
  /** The Redis key prefix, when on Redis. */
  readonly keyPrefix?: string
  stop(): Promise<void>
}

/**
 * `count` broker processes on one configuration file (same master key and admin token):
 * on the embedded store (one replica only) or on Redis under a fresh key prefix, removed at stop.
 */
export async function startBrokers(options: { store: 'sqlite' | 'redis'; config: Record<string, unknown> & { issuer?: string }; count?: number }): Promise<BenchBrokers> {
  const dir = mkdtempSync(join(tmpdir(), 'lanyard-bench-'))
  const keyPrefix = options.store === 'redis' ? `lanyard-bench-${randomBytes(4).toString('hex')}` : undefined
  const config: Record<string, unknown> = { ...baseConfig, ...(keyPrefix === undefined ? {} : { store: { type: 'redis', url: { env: 'LANYARD_REDIS_URL' }, keyPrefix, durability: 'volatile' } }), ...options.config }
  writeFileSync(join(dir, 'lanyard.yaml'), JSON.stringify(config, null, 2)) // JSON is YAML
  const adminToken = `bench-admin-${randomBytes(12).toString('hex')}`
  const env = { LANYARD_DATA_DIR: dir, LANYARD_MASTER_KEY: testMasterKey, LANYARD_ADMIN_TOKEN: adminToken, LANYARD_REDIS_URL: keyPrefix === undefined ? '' : redisUrl }
  const replicas: Array<{ process: BrokerProcess; client: BrokerClient }> = []
  const stop = async () => {
    await Promise.all(replicas.map((replica) => replica.process.stop()))
    rmSync(dir, { recursive: true, force: true })
    if (keyPrefix !== undefined) await removeRedisKeys(keyPrefix)
  }
  try {
    // One after another: two cores, and the first start creates the shared signing key.
    for (let i = 0; i < (options.count ?? 1); i++) {
      const child = await spawnBroker(join(dir, 'lanyard.yaml'), env)
      const client = brokerClient(child.url, adminToken)
      // Replicas share one issuer (set in the config), as they would behind a load balancer.
      replicas.push({ process: child, client: typeof config.issuer === 'string' ? { ...client, issuer: config.issuer } : client })
    }
  } catch (error) {
    await stop()
    throw error
  }
  return { replicas, ...(keyPrefix === undefined ? {} : { keyPrefix }), stop }
}

/** Why Redis cannot be used here, or undefined when it answers PING. */
export async function redisUnavailable(): Promise<string | undefined> {
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null })
  try {
    await redis.connect()
    await redis.ping()
    return undefined
  } catch (error) {
    return `redis at ${redisUrl} does not answer: ${error instanceof Error ? error.message : String(error)}`
  } finally {
    redis.disconnect()
  }
}

async function removeRedisKeys(keyPrefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*${keyPrefix}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) await redis.unlink(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

const require = createRequire(import.meta.url)
const tsx = pathToFileURL(require.resolve('tsx')).href

/** A server the broker is measured against (the peer, a calibration server), in its own process. */
export interface BenchProcess {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string
  readonly pid: number
  stop(): Promise<void>
}

/**
 * Runs `script` (a file next to this one) in its own process, as the broker runs in its own,
 * with the flags the bench runs under; resolves once the script prints `listening <url>`,
 * and stops it with SIGTERM.
 */
function spawnBenchScript(script: string, env: Record<string, string>) {
  const file = fileURLToPath(new URL(script, import.meta.url))
  return spawn(process.execPath, ['--conditions=lanyard-source', '--import', tsx, file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
}

function startBenchProcess(script: string, env: Record<string, string>): Promise<BenchProcess> {
  return new Promise((resolve, reject) => {
    const child = spawnBenchScript(script, env)
    let output = ''
    const exited = new Promise<void>((done) => child.once('exit', () => done()))
    const timer = setTimeout(() => reject(new Error(`${script} did not start: ${output}`)), 20_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /^listening (http:\/\/\S+)$/m.exec(output)
      if (!match) return
      clearTimeout(timer)
      resolve({
        url: match[1]!,
        pid: child.pid!,
        async stop() {
          child.kill('SIGTERM')
          await exited
        },
      })
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${script} exited with ${code}: ${output}`))
    })
  })
}

/**
 * oidc-provider (`oauth-peer.ts`): a peer of the exchange bench, on its in-memory adapter or on
 * the durable SQLite one (`sqlite-adapter.ts`); its `url` is its issuer.
 */
export function startOAuthPeer(client: { id: string; secret: string; resource: string }, store: 'memory' | 'sqlite'): Promise<BenchProcess> {
  return startBenchProcess('./oauth-peer.ts', { BENCH_PEER_CLIENT_ID: client.id, BENCH_PEER_CLIENT_SECRET: client.secret, BENCH_PEER_RESOURCE: client.resource, BENCH_PEER_STORE: store })
}

/** The minimal durable exchange on node:http (`floor-server.ts`): the exchange bench's `floor`. */
export function startFloorServer(): Promise<BenchProcess> {
  return startBenchProcess('./floor-server.ts', {})
}

export type CalibrationServer = 'node:http' | 'express'

/** A server that does no work (`calibration-server.ts`): the exchange bench's calibration subjects. */
export function startCalibrationServer(server: CalibrationServer): Promise<BenchProcess> {
  return startBenchProcess('./calibration-server.ts', { BENCH_CALIBRATION_SERVER: server })
}

/**
 * Runs `script` (a file next to this one) to its end in its own process, with the flags the
 * bench runs under, and returns what it printed as `result <json>`.
 */
export function runBenchScript(script: string, env: Record<string, string>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawnBenchScript(script, env)
    let output = ''
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('exit', (code) => {
      const result = /^result (\{.*\})$/m.exec(output)
      if (code === 0 && result) resolve(JSON.parse(result[1]!))
      else reject(new Error(`${script} exited with ${code}: ${output.slice(-2000)}`))
    })
  })
}
