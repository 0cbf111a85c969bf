import { createHash } from 'node:crypto'
import { Cluster, Redis, type RedisOptions } from 'ioredis'
import { InternalFailure, StoreUnavailable, isLanyardError, type LanyardError } from '@lanyard/core'

/** A single Redis or a Redis Cluster: the store runs unchanged on either. */
export type RedisClient = Redis | Cluster

export interface RedisNode {
  readonly host: string
  readonly port: number
}

export interface ConnectionOptions {
  /** `redis://[user:password@]host:port` (`rediss://` for TLS). In cluster mode, one seed node. */
  readonly url: string
  readonly cluster?: boolean
  /** Cluster seed nodes; default: the node in `url`. */
  readonly nodes?: readonly RedisNode[]
}

// Fail closed, promptly. (1) `enableOfflineQueue: false`: while disconnected a command is
// refused at once instead of queued until Redis returns. (2) `maxRetriesPerRequest: 0` and no
// resending: a command in flight when the connection drops is rejected, not replayed later
// (every write is guarded, so a replay would be refused anyway, but the caller must not wait).
// (3) `commandTimeout`: a Redis that accepts the connection but stops answering (paused,
// swapping) is unavailable after 2 s; the broker's own request budget is a few seconds.
// (4) Reconnect forever, backing off to 1 s: Redis back means the store works again without a
// restart, at most a second later.
const commandTimeoutMs = 2_000
const connectTimeoutMs = 2_000
const reconnectMaxMs = 1_000
export const readyTimeoutMs = 5_000

const failFast = {
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  commandTimeout: commandTimeoutMs,
  connectTimeout: connectTimeoutMs,
} satisfies RedisOptions

function reconnectDelay(times: number): number {
  return Math.min(times * 100, reconnectMaxMs)
}

function credentials(url: URL): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  return {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  }
}

export function seedNodes(options: ConnectionOptions): RedisNode[] {
  if (options.nodes && options.nodes.length > 0) return [...options.nodes]
  const url = new URL(options.url)
  return [{ host: url.hostname, port: Number(url.port || 6379) }]
}

/** The command connection. Auto-pipelining batches the many small reads of list operations. */
export function openClient(options: ConnectionOptions): RedisClient {
  const client: RedisClient = options.cluster
    ? new Cluster(seedNodes(options), {
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        clusterRetryStrategy: reconnectDelay,
        // A slot moving (failover, resharding) is retried briefly; longer is unavailability.
        retryDelayOnClusterDown: 100,
        retryDelayOnFailover: 100,
        maxRedirections: 8,
        redisOptions: { ...failFast, ...credentials(new URL(options.url)) },
      })
    : new Redis(options.url, { ...failFast, enableOfflineQueue: false, enableAutoPipelining: true, retryStrategy: reconnectDelay })
  // Failures surface as StoreUnavailable from the next command; the event itself needs no handler.
  client.on('error', () => undefined)
  return client
}

/**
 * A plain connection for SUBSCRIBE. In cluster mode, classic PUBLISH reaches every node, so one
 * node is enough; `retryStrategy` gives up on a node after three tries so the bus moves on to
 * the next one (`round` picks it).
 */
export function openSubscriber(options: ConnectionOptions, nodes: readonly RedisNode[], round: number, name: string): Redis {
  const common: RedisOptions = { ...failFast, enableOfflineQueue: false, autoResubscribe: false, connectionName: name }
  if (!options.cluster) return new Redis(options.url, { ...common, retryStrategy: reconnectDelay })
  const node = nodes[round % nodes.length] ?? seedNodes(options)[0]!
  return new Redis({ ...common, ...credentials(new URL(options.url)), host: node.host, port: node.port, retryStrategy: (times) => (times > 3 ? null : reconnectDelay(times)) })
}

export async function waitReady(client: RedisClient, timeoutMs = readyTimeoutMs): Promise<void> {
  if (client.status === 'ready') return
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady)
      reject(new StoreUnavailable({ detail: `Redis was not ready within ${timeoutMs} ms` }))
    }, timeoutMs)
    function onReady() {
      clearTimeout(timer)
      resolve()
    }
    client.once('ready', onReady)
  })
}

/** A client that is ready to serve, or a rejection (StoreUnavailable) with the client closed. */
export async function openReadyClient(options: ConnectionOptions): Promise<RedisClient> {
  const client = openClient(options)
  try {
    await waitReady(client)
  } catch (error) {
    client.disconnect()
    throw error
  }
  return client
}

/** Graceful when connected (pending replies arrive), immediate otherwise. */
export async function closeClient(client: RedisClient): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit()
      return
    } catch {
      // fall through: the connection went while quitting
    }
  }
  client.disconnect()
}

// Replies that mean "not now" rather than "wrong": the cluster is reconfiguring or a node is
// loading, read-only or busy running a script.
const unavailableReply = /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|READONLY|BUSY|NOREPLICAS|MOVED|ASK)\b/

/**
 * Translates what the driver threw. Connection loss, timeouts and "not now" replies are
 * StoreUnavailable (retryable); any other Redis reply is a bug here, InternalFailure. Only the
 * driver's message is kept, as `detail`: ioredis attaches the command and its arguments to
 * reply errors, and those hold stored records, so the error object itself is not passed on.
 */
export function driverFailure(error: unknown): LanyardError {
  if (isLanyardError(error)) return error
  const message = error instanceof Error ? error.message : String(error)
  if (error instanceof Error && error.name === 'ReplyError' && !unavailableReply.test(message)) return new InternalFailure({ detail: `Redis refused a command: ${message}` })
  return new StoreUnavailable({ detail: message })
}

/** Runs one driver call, translating its failure. */
export async function call<T>(command: () => Promise<T>): Promise<T> {
  try {
    return await command()
  } catch (error) {
    throw driverFailure(error)
  }
}

/** Replica acknowledgement a write waits for before it is answered (see durability.ts). */
export interface ReplicaWait {
  readonly replicas: number
  readonly timeoutMs: number
}

export type ScriptRunner = (client: RedisClient, keys: readonly string[], args: readonly (string | number)[], wait?: ReplicaWait) => Promise<unknown>

/**
 * EVALSHA with EVAL on NOSCRIPT (a restarted or new node has an empty script cache). With
 * `wait`, the script and a `WAIT replicas timeoutMs` go in one pipeline, so in a cluster the
 * WAIT reaches the node that took the write (the pipeline is routed by the script's keys) and
 * covers it; fewer replicas than asked is StoreUnavailable: the write is not acknowledged.
 */
export function defineScript(lua: string): ScriptRunner {
  const sha = createHash('sha1').update(lua).digest('hex')
  const once = async (client: RedisClient, keys: readonly string[], args: readonly (string | number)[], wait: ReplicaWait | undefined, script: 'evalsha' | 'eval'): Promise<unknown> => {
    const body = script === 'evalsha' ? sha : lua
    if (wait === undefined) return script === 'evalsha' ? client.evalsha(body, keys.length, ...keys, ...args) : client.eval(body, keys.length, ...keys, ...args)
    const pipeline = client.pipeline()
    if (script === 'evalsha') pipeline.evalsha(body, keys.length, ...keys, ...args)
    else pipeline.eval(body, keys.length, ...keys, ...args)
    pipeline.call('WAIT', wait.replicas, wait.timeoutMs)
    const replies = await pipeline.exec()
    const [written, waited] = replies ?? []
    if (written === undefined || waited === undefined) throw new StoreUnavailable({ detail: 'the write pipeline was discarded' })
    if (written[0]) throw written[0]
    if (waited[0]) throw waited[0]
    const acknowledged = Number(waited[1])
    if (acknowledged < wait.replicas) throw new StoreUnavailable({ detail: `${acknowledged} of ${wait.replicas} Redis replicas acknowledged the write within ${wait.timeoutMs} ms` })
    return written[1]
  }
  return async (client, keys, args, wait) =>
    call(async () => {
      try {
        return await once(client, keys, args, wait, 'evalsha')
      } catch (error) {
        if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error
        return once(client, keys, args, wait, 'eval')
      }
    })
}
