import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { ConfigInvalid, SecretValue } from '@lanyard/core'
import { parse as parseYaml } from 'yaml'
import { defaults } from './defaults.js'
import { configSchema } from './schema.js'
import { isSecretRef, resolveSecret, resolveSecretsDeep } from './secrets.js'

export interface SystemConfig {
  readonly name: string
  readonly type: string
  /** The entry minus `name` and `type`, secret references resolved; the connector validates it. */
  readonly config: Readonly<Record<string, unknown>>
  /** `systems[i]`, for error messages. */
  readonly path: string
  /** The per-system switch of the one address rule (connector-sdk `upstreamUrl`). */
  readonly allowPrivateNetwork: boolean
}

export interface BrokerConfig {
  readonly source: string | undefined
  readonly listen: { readonly host: string; readonly port: number }
  readonly issuer: string | undefined
  readonly dataDir: string
  readonly logLevel: string
  readonly masterKey: SecretValue | undefined
  readonly adminToken: SecretValue | undefined
  readonly store: { readonly type: 'sqlite'; readonly path: string } | { readonly type: 'redis'; readonly url: SecretValue; readonly keyPrefix: string; readonly cluster: boolean }
  readonly handleTokenTtlSeconds: number
  readonly maxCredentialTtlSeconds: number
  readonly bodyLimitBytes: number
  readonly upstreamTimeoutMs: number
  readonly allowInsecureUpstreamHttp: boolean
  readonly sandbox: boolean
  readonly rateLimits: { readonly exchange: { readonly ratePerSecond: number; readonly burst: number }; readonly authenticate: { readonly ratePerSecond: number; readonly burst: number } }
  readonly cascade: { readonly concurrency: number; readonly leaseMs: number; readonly maxAttempts: number; readonly backoffBaseMs: number; readonly backoffMaxMs: number; readonly pollMs: number; readonly upstreamTimeoutMs: number; readonly pendingRecheckMs: number; readonly proveRevocation: boolean }
  readonly webhooks: { readonly concurrency: number; readonly leaseMs: number; readonly timeoutMs: number; readonly maxAttempts: number; readonly giveUpAfterMs: number; readonly backoffBaseMs: number; readonly backoffMaxMs: number; readonly pollMs: number; readonly allowPrivateNetwork: boolean }
  readonly systems: readonly SystemConfig[]
}

export interface LoadOptions {
  /** `--config`; else LANYARD_CONFIG; else ./lanyard.yaml when present; else no file. */
  readonly path?: string
  readonly env: NodeJS.ProcessEnv
  readonly cwd?: string
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof SecretValue) && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const item of Object.values(value)) deepFreeze(item)
  }
  return value
}

function parseListen(value: string, path: string, issues: string[]): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value)
  const port = Number(match?.[2])
  if (!match || port > 65535) {
    issues.push(`${path}: expected host:port, got "${value}"`)
    return { host: '127.0.0.1', port: 7420 }
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port }
}

/**
 * Reads, validates and freezes the configuration: file, then environment overrides
 * (LANYARD_LISTEN, LANYARD_DATA_DIR, LANYARD_REDIS_URL, LANYARD_LOG_LEVEL, LANYARD_MASTER_KEY, LANYARD_ADMIN_TOKEN).
 * Every problem is collected and thrown at once as one ConfigInvalid naming each field.
 */
export function loadConfig(options: LoadOptions): BrokerConfig {
  const { env } = options
  const cwd = options.cwd ?? process.cwd()
  const explicit = options.path ?? env.LANYARD_CONFIG
  const path = explicit ?? (existsSync(resolve(cwd, 'lanyard.yaml')) ? 'lanyard.yaml' : undefined)
  let raw: unknown = {}
  if (path !== undefined) {
    let text: string
    try {
      text = readFileSync(resolve(cwd, path), 'utf8')
    } catch (error) {
      throw new ConfigInvalid([`cannot read configuration file ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`])
    }
    try {
      raw = parseYaml(text) ?? {}
    } catch (error) {
      throw new ConfigInvalid([`${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`])
    }
  }
  const parsed = configSchema.safeParse(raw)
  if (!parsed.success) {
    throw new ConfigInvalid(parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`))
  }
  const file = parsed.data
  const issues: string[] = []

  const listen = parseListen(env.LANYARD_LISTEN ?? file.listen ?? defaults.listen, env.LANYARD_LISTEN ? 'LANYARD_LISTEN' : 'listen', issues)
  const dataDir = resolve(cwd, env.LANYARD_DATA_DIR ?? file.dataDir ?? defaults.dataDir)
  const masterKey = env.LANYARD_MASTER_KEY ? new SecretValue(env.LANYARD_MASTER_KEY) : file.masterKey ? resolveSecret(file.masterKey, 'masterKey', env, issues) : undefined
  const adminToken = env.LANYARD_ADMIN_TOKEN ? new SecretValue(env.LANYARD_ADMIN_TOKEN) : file.adminToken ? resolveSecret(file.adminToken, 'adminToken', env, issues) : undefined

  let store: BrokerConfig['store'] = { type: 'sqlite', path: resolve(dataDir, 'lanyard.db') }
  if (env.LANYARD_REDIS_URL) {
    const fromFile = file.store?.type === 'redis' ? file.store : undefined
    store = { type: 'redis', url: new SecretValue(env.LANYARD_REDIS_URL), keyPrefix: fromFile?.keyPrefix ?? 'lanyard', cluster: fromFile?.cluster ?? false }
  } else if (file.store?.type === 'redis') {
    const url = isSecretRef(file.store.url) ? resolveSecret(file.store.url, 'store.url', env, issues) : new SecretValue(file.store.url)
    store = { type: 'redis', url: url ?? new SecretValue(''), keyPrefix: file.store.keyPrefix ?? 'lanyard', cluster: file.store.cluster ?? false }
  } else if (file.store?.type === 'sqlite' && file.store.path) {
    store = { type: 'sqlite', path: resolve(cwd, file.store.path) }
  }

  const sandbox = file.sandbox ?? false
  const allowInsecureUpstreamHttp = file.upstream?.allowInsecureUpstreamHttp ?? false
  if (allowInsecureUpstreamHttp && !sandbox) issues.push('upstream.allowInsecureUpstreamHttp: refused outside a sandbox deployment (set `sandbox: true` only for local stand-ins)')

  const webhooks = { ...defaults.webhooks, ...file.webhooks }
  if (webhooks.leaseMs <= webhooks.timeoutMs) issues.push(`webhooks.leaseMs: must exceed webhooks.timeoutMs (${webhooks.timeoutMs}), or a POST in flight loses its lease and is sent twice`)

  const systems: SystemConfig[] = []
  const seen = new Set<string>()
  for (const [i, entry] of (file.systems ?? []).entries()) {
    const { name, type, allowPrivateNetwork, ...rest } = entry
    if (seen.has(name)) issues.push(`systems[${i}].name: "${name}" is used twice`)
    seen.add(name)
    systems.push({ name, type, path: `systems[${i}]`, allowPrivateNetwork: allowPrivateNetwork === true, config: resolveSecretsDeep(rest, `systems[${i}]`, env, issues) as Record<string, unknown> })
  }

  if (issues.length > 0) throw new ConfigInvalid(issues)
  return deepFreeze({
    source: path,
    listen,
    issuer: file.issuer?.replace(/\/$/, ''),
    dataDir,
    logLevel: env.LANYARD_LOG_LEVEL ?? file.logLevel ?? defaults.logLevel,
    masterKey,
    adminToken,
    store,
    handleTokenTtlSeconds: file.tokens?.handleTokenTtlSeconds ?? defaults.handleTokenTtlSeconds,
    maxCredentialTtlSeconds: file.tokens?.maxCredentialTtlSeconds ?? defaults.maxCredentialTtlSeconds,
    bodyLimitBytes: file.http?.bodyLimitBytes ?? defaults.bodyLimitBytes,
    upstreamTimeoutMs: file.upstream?.timeoutMs ?? defaults.upstreamTimeoutMs,
    allowInsecureUpstreamHttp,
    sandbox,
    rateLimits: { exchange: file.rateLimits?.exchange ?? defaults.rateLimits.exchange, authenticate: file.rateLimits?.authenticate ?? defaults.rateLimits.authenticate },
    cascade: { ...defaults.cascade, ...file.cascade },
    webhooks,
    systems,
  })
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '') || '(root)'
}
