import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker, type RunningBroker } from '@lanyard/broker'

export interface TestBrokerOptions {
  /** Extra top-level config (systems, tokens, cascade, ...). */
  readonly config?: Record<string, unknown>
  readonly env?: Record<string, string>
  /** Reuse a data folder (restart tests). */
  readonly dataDir?: string
  /** The admin bearer; replicas of one deployment share it. Default: a fresh one. */
  readonly adminToken?: string
  /** The broker's time source (a test moves it on to make things lapse). Default: the system clock. */
  readonly clock?: { now(): Date }
}

export interface TestBroker {
  readonly broker: RunningBroker
  readonly url: string
  readonly issuer: string
  readonly dataDir: string
  readonly adminToken: string
  /** Admin call on /v1 with the bearer; returns status, parsed body, headers. */
  admin(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any; headers: Headers }>
  /** Form POST (OAuth endpoints). */
  form(path: string, params: Record<string, string>, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>
  close(): Promise<void>
}

export const testMasterKey = randomBytes(32).toString('base64')

/** Which store the system suites run on: LANYARD_TEST_STORE=sqlite|redis (default sqlite). */
export function storeEnv(): Record<string, string> {
  if (process.env.LANYARD_TEST_STORE === 'redis') {
    return { LANYARD_REDIS_URL: process.env.LANYARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0' }
  }
  return {}
}

async function parse(response: Response): Promise<any> {
  const text = await response.text()
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

export type BrokerClient = Pick<TestBroker, 'url' | 'issuer' | 'adminToken' | 'admin' | 'form'>

/** Admin and OAuth calls against a broker at `url` (in this process or another). */
export function brokerClient(url: string, adminToken: string): BrokerClient {
  const call = async (path: string, init: RequestInit) => {
    const response = await fetch(`${url}${path}`, init)
    return { status: response.status, body: await parse(response), headers: response.headers }
  }
  return {
    url,
    issuer: url,
    adminToken,
    admin: (method, path, body, token = adminToken) =>
      call(path, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) }),
    form: (path, params, headers = {}) => call(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(params).toString() }),
  }
}

/** Leaves the shared Redis as it was: every key under this broker's prefix goes. */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const { Redis } = await import('ioredis')
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000)
      if (keys.length > 0) await redis.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

/** Starts the real broker on 127.0.0.1:0 with its own data folder and configuration file. */
export async function startTestBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'lanyard-test-'))
  const configPath = join(dataDir, 'lanyard.yaml')
  const redis = storeEnv().LANYARD_REDIS_URL !== undefined
  const keyPrefix = `lanyard-test-${randomBytes(4).toString('hex')}`
  const merged: Record<string, unknown> = { logLevel: 'silent', ...(redis ? { store: { type: 'redis', url: { env: 'LANYARD_REDIS_URL' }, keyPrefix } } : {}), ...options.config }
  // The shared test Redis keeps nothing on disk: a test that names its own Redis store still
  // runs it `volatile` unless it chose a durability itself.
  const store = merged.store as Record<string, unknown> | undefined
  const config = store?.type === 'redis' && store.durability === undefined ? { ...merged, store: { ...store, durability: 'volatile' } } : merged
  writeFileSync(configPath, JSON.stringify(config, null, 2)) // JSON is YAML
  const adminToken = options.adminToken ?? `test-admin-${randomBytes(12).toString('hex')}`
  const broker = await startBroker({
    config: configPath,
    env: { LANYARD_MASTER_KEY: testMasterKey, LANYARD_ADMIN_TOKEN: adminToken, LANYARD_DATA_DIR: dataDir, ...storeEnv(), ...options.env },
    listen: '127.0.0.1:0',
    notice: () => {},
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  }).catch((error: unknown) => {
    // A broker refused at start (the tests of bad configuration) leaves no folder behind.
    if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true })
    throw error
  })
  return {
    ...brokerClient(broker.url, adminToken),
    broker,
    issuer: broker.issuer,
    dataDir,
    async close() {
      await broker.close()
      if (options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true })
      if (redis) await deleteKeys(storeEnv().LANYARD_REDIS_URL!, keyPrefix)
    },
  }
}
