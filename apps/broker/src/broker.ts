import { classifyHost } from '@lanyard/connector-sdk'
import { mkdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { dirname } from 'node:path'
import { hostname } from 'node:os'
import { createHmac, randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import {
  ConfigInvalid,
  createAesGcmSealer,
  createDpopNonces,
  createKeyRing,
  createLanyard,
  createLocalEventBus,
  createLocalMutex,
  createMemoryRateLimiter,
  systemClock,
  type Clock,
  type EventBus,
  type Lanyard,
  type Mutex,
  type RateLimiter,
  type Store,
} from '@lanyard/core'
import { defaults } from './config/defaults.js'
import { lanyardSettings } from './config/settings.js'
import { loadConfig, type BrokerConfig } from './config/load.js'
import { checkSystems, createSystems } from './connectors/registry.js'
import { createUpstreamFetch } from './connectors/upstream-fetch.js'
import { trackRequests } from './http/drain.js'
import { configWarnings } from './config/check.js'
import { createIssuerKeys } from './federation/issuer-keys.js'
import { createRequestListener } from './http/app.js'
import { createMetrics } from './http/metrics.js'
import { answerStarting, createReadiness } from './http/health.js'
import { decodeMasterKey, localAdminToken, localMasterKey } from './local-secrets.js'
import { createSigner } from './signer.js'
import { createRevocationStream } from './events/revocation-stream.js'
import { createWebhooks } from './webhooks/webhooks.js'
import { startCheckpoints } from './audit-checkpoints.js'

export interface StartOptions {
  /** Path of lanyard.yaml (`--config`). */
  readonly config?: string
  /** Environment to read overrides from; defaults to process.env. Tests pass their own. */
  readonly env?: NodeJS.ProcessEnv
  /** Overrides `listen` (host:port; port 0 picks a free one). */
  readonly listen?: string
  readonly cwd?: string
  readonly clock?: Clock
  /** Replaces the `fetch` lent to connectors (tests, proxies). */
  readonly fetch?: typeof fetch
  /** Where notices (admin-token path) go; defaults to stderr. */
  readonly notice?: (line: string) => void
}

export interface RunningBroker {
  readonly url: string
  readonly issuer: string
  /** The bootstrap admin bearer. Never logged. */
  readonly adminToken: string
  /** Where a generated admin token was written, if it was. */
  readonly adminTokenPath: string | undefined
  readonly config: BrokerConfig
  readonly lanyard: Lanyard
  readonly store: Store
  close(): Promise<void>
}

/** A backend: the store and its bus, and, when shared by replicas, its limiter and mutex. */
interface OpenedStore {
  readonly store: Store
  readonly bus: EventBus
  readonly limiter?: RateLimiter
  readonly mutex?: Mutex
}

/**
 * Loads the store's package (module loading only, no file and no connection): done before the
 * socket opens, because loading blocks the event loop and requests arriving then must be
 * answered. The returned function opens the store.
 */
async function loadStore(config: BrokerConfig, clock: Clock): Promise<() => Promise<OpenedStore>> {
  const { store } = config
  if (store.type === 'sqlite') {
    const { createSqliteStore } = await import('@lanyard/store-sqlite')
    return async () => {
      mkdirSync(dirname(store.path), { recursive: true, mode: 0o700 })
      return { store: await createSqliteStore({ path: store.path, clock }), bus: createLocalEventBus() }
    }
  }
  // Loaded by name so that an embedded deployment never loads ioredis.
  const redisPackage = '@lanyard/store-redis'
  const redis = (await import(redisPackage)) as {
    createRedisStore(options: { url: string; keyPrefix: string; cluster: boolean; clock: Clock; durability: 'fsync' | 'volatile' | { replicas: number; timeoutMs: number } }): Promise<OpenedStore>
  }
  return () => redis.createRedisStore({ url: store.url.reveal(), keyPrefix: store.keyPrefix, cluster: store.cluster, clock, durability: store.durability })
}

function listenOn(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve(server.address() as AddressInfo)
    })
  })
}

/**
 * Starts a broker: configuration, store, keys, connectors, HTTP. With no configuration at all
 * it runs on the embedded store in `./.lanyard`, on 127.0.0.1:7420.
 */
export async function startBroker(options: StartOptions = {}): Promise<RunningBroker> {
  const env = options.env ?? process.env
  const notice = options.notice ?? ((line: string) => process.stderr.write(`${line}\n`))
  const config = loadConfig({ ...(options.config === undefined ? {} : { path: options.config }), env: options.listen ? { ...env, LANYARD_LISTEN: options.listen } : env, ...(options.cwd === undefined ? {} : { cwd: options.cwd }) })
  const clock = options.clock ?? systemClock
  const log = pino({ level: config.logLevel, base: { service: 'lanyard' }, redact: { paths: ['*.token', '*.secret', '*.assertion', '*.password', 'req.headers.authorization'], censor: '[redacted]' } }, pino.destination(2))

  // (1) Validate everything that can be refused: nothing is written before this passes.
  if (config.masterKey === undefined && config.store.type === 'redis') throw new ConfigInvalid(['LANYARD_MASTER_KEY: required with a shared store (every replica must open the same secrets)'])
  const givenMasterKey = config.masterKey === undefined ? undefined : decodeMasterKey(config.masterKey, 'LANYARD_MASTER_KEY')
  const checkedSystems = await checkSystems(config.systems, { sandbox: config.sandbox, allowInsecureUpstreamHttp: config.upstream.allowInsecureUpstreamHttp })
  const openStore = await loadStore(config, clock)

  // (2) Listen: until the app is attached, every request is answered 503 + Retry-After (the
  // socket opens first because port 0 and the issuer need the address; an unanswered request
  // would hang). A taken port is refused here, still before any file is written.
  const server = createServer(answerStarting)
  const requests = trackRequests(server)
  const address = await listenOn(server, config.listen.host, config.listen.port)
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}`
  const issuer = config.issuer ?? url

  // (3) Generated secrets, written to the data folder on first start.
  let sealer: ReturnType<typeof createAesGcmSealer>
  let masterKeyBytes: ReturnType<typeof decodeMasterKey>
  let adminToken = config.adminToken
  let adminTokenPath: string | undefined
  let masterKeySource = 'LANYARD_MASTER_KEY'
  try {
    if (givenMasterKey === undefined) {
      const generated = localMasterKey(config.dataDir)
      if (generated.created) notice(`lanyard: generated a master key at ${generated.path} (set LANYARD_MASTER_KEY in production)`)
      masterKeySource = generated.path
      masterKeyBytes = decodeMasterKey(generated.value, 'master.key')
    } else {
      masterKeyBytes = givenMasterKey
    }
    sealer = createAesGcmSealer(masterKeyBytes)
    if (adminToken === undefined) {
      const generated = localAdminToken(config.dataDir)
      adminToken = generated.value
      adminTokenPath = generated.path
      notice(`lanyard: admin token ${generated.created ? 'generated' : 'read'} at ${generated.path}`)
    }
  } catch (error) {
    server.close()
    throw error
  }

  const opened = await openStore().catch((error: unknown) => {
    server.close()
    throw error
  })
  const { store, bus } = opened
  try {
    const keys = createKeyRing({ store, sealer, clock, retainSeconds: Math.max(config.tokens.handleTokenTtlSeconds, config.tokens.maxCredentialTtlSeconds) })
    // The key check: a store sealed under another master key is refused before anything new is
    // sealed under the wrong one (grants' revocation secrets would become unopenable).
    await keys.checkMasterKey(masterKeySource)
    const revocationStream = createRevocationStream({ keys, clock, issuer, log, bus })
    const { systems, close: closeUpstreams } = createSystems(checkedSystems, {
      log,
      clock,
      signer: createSigner(keys, clock, issuer, { store, stream: revocationStream }),
      allowInsecureUpstreamHttp: config.upstream.allowInsecureUpstreamHttp,
      sandbox: config.sandbox,
      upstreamTimeoutMs: config.upstream.timeoutMs,
      mutex: opened.mutex ?? createLocalMutex(),
      ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    })
    // Names this process in task and delivery leases: unique even for two brokers on one host.
    const replicaId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
    // Issuers' discovery and keys are upstreams too: the one address rule at connect time (each
    // issuer under its own `allowPrivateNetwork`), the body cap, the real network.
    const federationFetches = new Map(
      config.federation.issuers.map((issuer) => [
        issuer.issuer,
        createUpstreamFetch({ name: 'federation', policy: { allowPrivateNetwork: issuer.allowPrivateNetwork, allowLoopback: config.sandbox }, maxResponseBytes: defaults.federation.maxBodyBytes, timeoutMs: config.federation.timeoutMs }),
      ]),
    )
    const lanyard = createLanyard({
      store,
      bus,
      clock,
      sealer,
      keys,
      systems,
      limiter: opened.limiter ?? createMemoryRateLimiter(clock),
      log,
      replicaId,
      ...(config.federation.issuers.length === 0
        ? {}
        : {
            federation: {
              issuers: config.federation.issuers,
              keys: createIssuerKeys({
                issuers: config.federation.issuers,
                clock,
                log,
                fetchFor: (issuer) => federationFetches.get(issuer.issuer)?.fetch ?? (() => Promise.reject(new Error('not a configured issuer'))),
                settings: {
                  timeoutMs: config.federation.timeoutMs,
                  cacheMaxAgeMs: config.federation.cacheMaxAgeSeconds * 1000,
                  cooldownMs: config.federation.cooldownSeconds * 1000,
                  failureBackoffMs: config.federation.failureBackoffSeconds * 1000,
                  maxBodyBytes: defaults.federation.maxBodyBytes,
                  allowHttp: config.sandbox,
                },
              }),
            },
          }),
      // Every replica derives the same nonce secret from the master key, so any accepts any's nonce.
      ...(config.dpop.nonce ? { dpopNonces: createDpopNonces({ secret: createHmac('sha256', masterKeyBytes).update('lanyard dpop nonce v1').digest(), clock, windowSeconds: defaults.dpopNonceWindowSeconds }) } : {}),
      settings: lanyardSettings(config, issuer),
    })
    await keys.jwks()
    const detachStream = revocationStream.attach(lanyard)
    // Grants left pending by a crash (here or on another replica), or by a store that failed
    // between an exchange's two writes: at start, then every minute while running.
    const reconcile = async () => {
      const reconciled = await lanyard.reconcile(defaults.reconcilePendingAfterMs)
      if (reconciled.length > 0) log.warn({ count: reconciled.length }, 'grants left pending were reconciled as failed')
    }
    await reconcile()
    await lanyard.sweepChildren().catch((error: unknown) => log.warn({ err: String(error) }, 'lapsed-children pass failed'))
    const reconciler = setInterval(() => void reconcile().catch((error: unknown) => log.warn({ err: String(error) }, 'reconciliation pass failed')), defaults.reconcilePendingAfterMs)
    reconciler.unref()
    // Children whose TTL lapsed (#17) are revoked like any agent, each with a job and receipt;
    // a tree cut a crash interrupted is finished.
    const lapse = setInterval(() => void lanyard.sweepChildren().catch((error: unknown) => log.warn({ err: String(error) }, 'lapsed-children pass failed')), defaults.delegation.sweepMs)
    lapse.unref()
    const metrics = createMetrics()
    // Receivers are upstreams too: the same address rule at connect time, a small body cap. The
    // real network, never options.fetch (that one stands in for the connectors' upstreams).
    const webhookPolicy = { allowPrivateNetwork: config.webhooks.allowPrivateNetwork, allowLoopback: config.sandbox }
    // The company's OpenID Provider, for console sign-in: bounded like every upstream.
    const consoleOidcFetch = config.console.oidc === undefined ? undefined : createUpstreamFetch({ name: 'console.oidc', policy: { allowPrivateNetwork: config.console.oidc.allowPrivateNetwork, allowLoopback: config.sandbox }, maxResponseBytes: defaults.federation.maxBodyBytes, timeoutMs: config.federation.timeoutMs })
    const webhookFetch = createUpstreamFetch({ name: 'webhooks', policy: webhookPolicy, maxResponseBytes: 64 * 1024, timeoutMs: config.webhooks.timeoutMs })
    const webhooks = createWebhooks({ lanyard, clock, log, owner: replicaId, fetch: webhookFetch.fetch, settings: config.webhooks, policy: webhookPolicy })
    const warnings = configWarnings(config)
    const readiness = createReadiness({ store, clock, intervalMs: defaults.readinessIntervalMs, replicaId, warnings })
    server.on('request', createRequestListener({ lanyard, clock, store, systems, adminToken, bodyLimitBytes: config.http.bodyLimitBytes, metrics, log, webhooks, readiness, revocationStream, presence: config.presence,
      // Secure cookies need https; a broker on loopback only is the local plain-http case.
      console: {
        sessionTtlSeconds: config.console.sessionTtlSeconds,
        secureCookies: classifyHost(config.listen.host) !== 'loopback',
        ...(consoleOidcFetch === undefined || config.console.oidc === undefined ? {} : { oidc: { settings: config.console.oidc, fetch: consoleOidcFetch.fetch, allowHttp: config.sandbox } }),
      } }))
    server.off('request', answerStarting)
    lanyard.cascade.start(config.cascade.pollMs)
    lanyard.cascade.wake()
    webhooks.start()
    const checkpoints = startCheckpoints({ lanyard, webhooks, log, intervalSeconds: config.audit.checkpointIntervalSeconds })
    log.info({ url, issuer, store: config.store.type, systems: [...systems.keys()] }, 'lanyard broker listening')
    for (const warning of warnings) log.warn({ code: warning.code }, `${warning.code}: ${warning.message}`)
    const secret = adminToken
    return {
      url,
      issuer,
      get adminToken() {
        return secret.reveal()
      },
      adminTokenPath,
      config,
      lanyard,
      store,
      async close() {
        clearInterval(reconciler)
        clearInterval(lapse)
        checkpoints.stop()
        detachStream()
        // In-flight requests are answered first (a SIGTERM drains, it does not cut them), then
        // the cascade finishes the tasks it leased (lanyard.close waits for the pass under way).
        await requests.drain(defaults.shutdownDrainMs)
        await lanyard.close()
        // After the cascade stopped (no more events), before the store closes (enqueues in flight).
        await webhooks.stop()
        await Promise.all([closeUpstreams(), webhookFetch.close(), ...(consoleOidcFetch === undefined ? [] : [consoleOidcFetch.close()]), ...[...federationFetches.values()].map((f) => f.close())])
        await bus.close()
        await store.close()
        log.flush()
      },
    }
  } catch (error) {
    server.close()
    await store.close().catch(() => undefined)
    throw error
  }
}
