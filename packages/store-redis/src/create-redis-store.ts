import { Cluster } from 'ioredis'
import { InternalFailure, StoreUnavailable, isLanyardError, systemClock, type Clock, type EventBus, type Mutex, type RateLimiter, type Store } from '@lanyard/core'
import { createAdminMethods } from './admins.js'
import { createAgentMethods } from './agents.js'
import { createApprovalMethods } from './approvals.js'
import { createAuditMethods } from './audit.js'
import { createBindingMethods } from './bindings.js'
import { createCheckpointMethods } from './checkpoints.js'
import { closeClient, openReadyClient, openSubscriber, seedNodes, type ConnectionOptions, type RedisClient, type RedisNode } from './connection.js'
import { createDatabase, type RedisDatabase, type RedisStoreOptions } from './database.js'
import { checkDurability, replicasRequired, type Durability } from './durability.js'
import { createGrantMethods } from './grants.js'
import { redisKeys } from './keys.js'
import { createPresenceMethods } from './presence.js'
import { createPrimitiveMethods } from './primitives.js'
import { createRedisEventBus } from './redis-event-bus.js'
import { createRedisMutex } from './redis-mutex.js'
import { createRedisRateLimiter } from './redis-rate-limiter.js'
import { createRevocationMethods } from './revocations.js'
import { createSigningKeyMethods } from './signing-keys.js'
import { createTierMethods } from './tiers.js'
import { createTrustRuleMethods } from './trust.js'
import { createDelegationMethods } from './delegations.js'
import { createWebhookMethods } from './webhooks.js'

export interface CreateRedisStoreOptions {
  /** `redis://[user:password@]host:port` (`rediss://` for TLS); in cluster mode a seed node. */
  readonly url: string
  /** Keys and the event channel are named under it; several deployments can share one Redis. */
  readonly keyPrefix: string
  /** Redis Cluster (ioredis `Cluster`) instead of a single Redis. */
  readonly cluster?: boolean
  readonly clock?: Clock
  /** Cluster seed nodes; default: the node in `url`. */
  readonly nodes?: readonly RedisNode[]
  /** What an acknowledged write survives (durability.ts); default `fsync`, checked at start. */
  readonly durability?: Durability
}

export interface RedisBackend {
  readonly store: Store
  /** Pub/sub on `<keyPrefix>:events`, over its own subscriber connection. */
  readonly bus: EventBus
  /** GCRA on the same Redis, keys under `<keyPrefix>:rate:`. */
  readonly limiter: RateLimiter
  /** Locks on the same Redis, keys under `<keyPrefix>:lock:`. */
  readonly mutex: Mutex
}

/**
 * Opens the Redis backend for many broker replicas: the Store, the EventBus, a rate limiter
 * and a mutex, sharing one command connection (closed once both store and bus are closed);
 * the bus adds one subscriber connection. Rejects with StoreUnavailable if Redis is not ready
 * within 5 s, ConfigInvalid for a key prefix that would break hash tags or for a Redis whose
 * persistence could lose an acknowledged write under `durability` (naming the setting).
 */
export async function createRedisStore(options: CreateRedisStoreOptions): Promise<RedisBackend> {
  const keys = redisKeys(options.keyPrefix)
  const clock = options.clock ?? systemClock
  const client = await openReadyClient(options)
  const durability = options.durability ?? 'fsync'
  try {
    await checkDurability(client, durability)
  } catch (error) {
    await closeClient(client)
    throw error
  }
  const wait = replicasRequired(durability)
  let users = 2
  const release = async () => {
    users -= 1
    if (users === 0) await closeClient(client)
  }
  // Cluster: subscribe on a master the client knows now (the seeds until it knows any), in a
  // stable order so that each round after a failure tries the next node, not the dead one.
  const subscriberNodes = (): RedisNode[] => {
    const masters = client instanceof Cluster ? client.nodes('master').map((node) => ({ host: node.options.host ?? '127.0.0.1', port: node.options.port ?? 6379 })) : []
    return (masters.length > 0 ? masters : seedNodes(options)).sort((a, b) => a.host.localeCompare(b.host) || a.port - b.port)
  }
  const store = createStoreOn(client, { keyPrefix: options.keyPrefix, clock, ...(wait === undefined ? {} : { wait }) }, release)
  const bus = createRedisEventBus({
    publisher: client,
    channel: keys.channel,
    openSubscriber: (round) => openSubscriber(options, subscriberNodes(), round, `${options.keyPrefix}:bus`),
    onClose: release,
  })
  return { store, bus, limiter: createRedisRateLimiter(client, { keyPrefix: options.keyPrefix, clock }), mutex: createRedisMutex(client, { keyPrefix: options.keyPrefix }) }
}

/**
 * The Store on Redis, over a client the caller opened (single Redis or Cluster): one
 * `create<Area>Methods(db)` per area file over one RedisDatabase. `onClose` releases that
 * client. Every method maps failure to the catalogue: driver failures to StoreUnavailable (see
 * connection.ts), anything else to InternalFailure; after `close()` every method rejects with
 * StoreUnavailable.
 */
function createStoreOn(client: RedisClient, options: RedisStoreOptions, onClose: () => Promise<void>): Store {
  const db = createDatabase(client, options, onClose)
  const store: Store = {
    ...createAdminMethods(db),
    ...createAgentMethods(db),
    ...createBindingMethods(db),
    ...createGrantMethods(db),
    ...createRevocationMethods(db),
    ...createAuditMethods(db),
    ...createWebhookMethods(db),
    ...createSigningKeyMethods(db),
    ...createTrustRuleMethods(db),
    ...createDelegationMethods(db),
    ...createPresenceMethods(db),
    ...createCheckpointMethods(db),
    ...createPrimitiveMethods(db),
    ...createApprovalMethods(db),
    ...createTierMethods(db),
  }
  return failClosed(store, db)
}

/**
 * Wraps every method but `close`: after close, StoreUnavailable at once; any failure that is
 * not already a catalogue error (a draft that cannot be sealed, a corrupt record) becomes
 * InternalFailure, so callers only ever see the catalogue.
 */
function failClosed(store: Store, db: RedisDatabase): Store {
  const wrapped: Record<string, unknown> = {}
  for (const [name, method] of Object.entries(store) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    wrapped[name] =
      name === 'close'
        ? method
        : async (...args: unknown[]) => {
            if (db.isClosed()) throw new StoreUnavailable({ detail: 'the store was closed' })
            try {
              return await method(...args)
            } catch (error) {
              throw isLanyardError(error) ? error : new InternalFailure({ cause: error })
            }
          }
  }
  return wrapped as unknown as Store
}

/** A Store on its own connection, closed with it. The conformance tests open one per case. */
export async function openRedisStore(options: ConnectionOptions & RedisStoreOptions): Promise<Store> {
  redisKeys(options.keyPrefix)
  const client = await openReadyClient(options)
  return createStoreOn(client, options, () => closeClient(client))
}
