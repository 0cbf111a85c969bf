import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { ConfigInvalid, SecretValue } from '@lanyard/core'
import { addressRefusal, classifyHost } from '@lanyard/connector-sdk'
import { parse as parseYaml } from 'yaml'
import type { z } from 'zod'
import { configSchema } from './schema.js'
import { describeIssue } from './issues.js'
import { isSecretRef, resolveSecret, resolveSecretsDeep } from './secrets.js'

/** `store.durability` of a Redis store (store-redis's durability.ts says what each promises). */
type RedisDurability = 'fsync' | 'volatile' | { readonly replicas: number; readonly timeoutMs: number }

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

/** lanyard.yaml as parsed, every default filled in (schema.ts). */
type FileConfig = z.output<typeof configSchema>

/**
 * The configuration the broker runs with: the file's `z.output` (defaults filled in by the
 * schema), with what the environment overrides or the loader resolves in its place: `listen`
 * parsed, paths absolute, secret references read, `store` decided, `systems` split.
 */
export type BrokerConfig = Readonly<
  Omit<FileConfig, 'listen' | 'issuer' | 'masterKey' | 'adminToken' | 'store' | 'systems' | 'console'> & {
    readonly console: { readonly sessionTtlSeconds: number; readonly oidc?: ConsoleOidcConfig }
    readonly source: string | undefined
    readonly listen: { readonly host: string; readonly port: number }
    readonly issuer: string | undefined
    readonly masterKey: SecretValue | undefined
    readonly adminToken: SecretValue | undefined
    readonly store: { readonly type: 'sqlite'; readonly path: string } | { readonly type: 'redis'; readonly url: SecretValue; readonly keyPrefix: string; readonly cluster: boolean; readonly durability: RedisDurability }
    readonly systems: readonly SystemConfig[]
  }
>

/** `console.oidc`, its client secret resolved. */
export type ConsoleOidcConfig = Omit<NonNullable<FileConfig['console']['oidc']>, 'clientSecret'> & { readonly clientSecret?: SecretValue }

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
  const { path, raw } = readConfigDocument(options)
  return loadConfigDocument(raw, path, options)
}

/** The configuration file as YAML parsed (`{}` with no file), and the path it came from. */
export function readConfigDocument(options: LoadOptions): { path: string | undefined; raw: unknown } {
  const cwd = options.cwd ?? process.cwd()
  const explicit = options.path ?? options.env.LANYARD_CONFIG
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
  return { path, raw }
}

/** {@link loadConfig} of a document already read. */
export function loadConfigDocument(raw: unknown, path: string | undefined, options: LoadOptions): BrokerConfig {
  const { env } = options
  const cwd = options.cwd ?? process.cwd()
  const parsed = configSchema.safeParse(raw, { reportInput: true })
  if (!parsed.success) {
    // Every problem at once: the schema's, in words, and every secret that cannot be read.
    const secretIssues: string[] = []
    resolveSecretsDeep(raw, '', env, secretIssues)
    throw new ConfigInvalid([...parsed.error.issues.map((issue) => describeIssue(issue, configSchema)), ...secretIssues.map((issue) => issue.replace(/^\./, ''))])
  }
  const file = parsed.data
  const issues: string[] = []

  const listen = parseListen(env.LANYARD_LISTEN ?? file.listen, env.LANYARD_LISTEN ? 'LANYARD_LISTEN' : 'listen', issues)
  const dataDir = resolve(cwd, env.LANYARD_DATA_DIR ?? file.dataDir)
  const masterKey = env.LANYARD_MASTER_KEY ? new SecretValue(env.LANYARD_MASTER_KEY) : file.masterKey ? resolveSecret(file.masterKey, 'masterKey', env, issues) : undefined
  const adminToken = env.LANYARD_ADMIN_TOKEN ? new SecretValue(env.LANYARD_ADMIN_TOKEN) : file.adminToken ? resolveSecret(file.adminToken, 'adminToken', env, issues) : undefined

  let store: BrokerConfig['store'] = { type: 'sqlite', path: resolve(dataDir, 'lanyard.db') }
  if (env.LANYARD_REDIS_URL) {
    const fromFile = file.store?.type === 'redis' ? file.store : undefined
    store = { type: 'redis', url: new SecretValue(env.LANYARD_REDIS_URL), keyPrefix: fromFile?.keyPrefix ?? 'lanyard', cluster: fromFile?.cluster ?? false, durability: fromFile?.durability ?? 'fsync' }
  } else if (file.store?.type === 'redis') {
    const url = isSecretRef(file.store.url) ? resolveSecret(file.store.url, 'store.url', env, issues) : new SecretValue(file.store.url)
    store = { type: 'redis', url: url ?? new SecretValue(''), keyPrefix: file.store.keyPrefix ?? 'lanyard', cluster: file.store.cluster ?? false, durability: file.store.durability ?? 'fsync' }
  } else if (file.store?.type === 'sqlite' && file.store.path) {
    store = { type: 'sqlite', path: resolve(cwd, file.store.path) }
  }

  if (file.upstream.allowInsecureUpstreamHttp && !file.sandbox) issues.push('upstream.allowInsecureUpstreamHttp: refused outside a sandbox deployment (set `sandbox: true` only for local stand-ins)')

  const { webhooks } = file
  if (webhooks.leaseMs <= webhooks.timeoutMs) issues.push(`webhooks.leaseMs: must exceed webhooks.timeoutMs (${webhooks.timeoutMs}), or a POST in flight loses its lease and is sent twice`)

  const systems: SystemConfig[] = []
  const seen = new Set<string>()
  for (const [i, entry] of file.systems.entries()) {
    const { name, type, allowPrivateNetwork, ...rest } = entry
    if (seen.has(name)) issues.push(`systems[${i}].name: "${name}" is used twice`)
    seen.add(name)
    systems.push({ name, type, path: `systems[${i}]`, allowPrivateNetwork: allowPrivateNetwork === true, config: resolveSecretsDeep(rest, `systems[${i}]`, env, issues) as Record<string, unknown> })
  }

  const issuerNames = new Set<string>()
  for (const [i, entry] of file.federation.issuers.entries()) {
    if (issuerNames.has(entry.issuer)) issues.push(`federation.issuers[${i}].issuer: "${entry.issuer}" is listed twice`)
    issuerNames.add(entry.issuer)
    // Keys over plain http could be swapped on the way: only for local stand-ins.
    for (const [field, url] of [['issuer', entry.jwksUri === undefined ? entry.issuer : undefined], ['jwksUri', entry.jwksUri]] as const) {
      if (url === undefined) continue
      let parsedUrl: URL | undefined
      try {
        parsedUrl = new URL(url)
      } catch {
        issues.push(`federation.issuers[${i}].${field}: expected a URL (keys are found by discovery there)`)
      }
      if (parsedUrl === undefined) continue
      if (parsedUrl.protocol !== 'https:' && !(file.sandbox && parsedUrl.protocol === 'http:')) issues.push(`federation.issuers[${i}].${field}: expected https (plain http only with \`sandbox: true\`)`)
      // The one address rule of connector-sdk's upstreamUrl(): checked here on the literal host,
      // and again at connect time on the resolved address by the broker's bounded fetch.
      const refusal = addressRefusal(classifyHost(parsedUrl.hostname), { allowPrivateNetwork: entry.allowPrivateNetwork, allowLoopback: file.sandbox })
      if (refusal !== undefined) issues.push(`federation.issuers[${i}].${field}: ${refusal}`)
      else if (parsedUrl.username !== '' || parsedUrl.password !== '') issues.push(`federation.issuers[${i}].${field}: must not carry credentials`)
    }
  }

  const oidc = file.console.oidc
  let consoleOidc: ConsoleOidcConfig | undefined
  if (oidc !== undefined) {
    const { clientSecret, ...rest } = oidc
    const secret = clientSecret === undefined ? undefined : resolveSecret(clientSecret, 'console.oidc.clientSecret', env, issues)
    consoleOidc = { ...rest, ...(secret === undefined ? {} : { clientSecret: secret }) }
    for (const field of ['issuer', 'redirectUri'] as const) {
      if (new URL(oidc[field]).protocol !== 'https:' && !file.sandbox) issues.push(`console.oidc.${field}: expected https (plain http only with \`sandbox: true\`)`)
    }
  }

  if (issues.length > 0) throw new ConfigInvalid(issues)
  return deepFreeze({
    ...file,
    source: path,
    listen,
    issuer: file.issuer?.replace(/\/$/, ''),
    dataDir,
    logLevel: (env.LANYARD_LOG_LEVEL as FileConfig['logLevel'] | undefined) ?? file.logLevel,
    masterKey,
    adminToken,
    store,
    systems,
    console: { sessionTtlSeconds: file.console.sessionTtlSeconds, ...(consoleOidc === undefined ? {} : { oidc: consoleOidc }) },
  })
}

