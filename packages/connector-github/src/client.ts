import { UpstreamRefused, UpstreamUnavailable, isLanyardError, parseRetryAfter } from '@lanyard/connector-sdk'
import type { ConnectorHost, LanyardError } from '@lanyard/connector-sdk'
import { App } from '@octokit/app'
import { Octokit } from '@octokit/core'
import { retry } from '@octokit/plugin-retry'
import { throttling } from '@octokit/plugin-throttling'
import { normalisePem, type GitHubConfig } from './config.js'

/**
 * octokit composed for a broker: retries 5xx with backoff (plugin-retry) and waits out short
 * secondary and primary rate limits (plugin-throttling); anything longer becomes
 * UpstreamUnavailable so the agent hears temporarily_unavailable instead of hanging.
 */
const GitHubOctokit = Octokit.plugin(retry, throttling)
/** plugin-retry's own list (7.x): client errors that a retry cannot fix. */
const retryDefaults = { doNotRetry: [400, 401, 403, 404, 410, 422, 451] }
type GitHubOctokit = InstanceType<typeof GitHubOctokit>

/** What every operation of one configured system shares. Built once by `createClient`. */
export interface GitHubClient {
  readonly system: string
  readonly config: GitHubConfig
  readonly host: ConnectorHost
  /** Authenticated as the App (a JWT signed with the App key): installations, token mints. */
  readonly app: GitHubOctokit
  /** Authenticated as one installation token: revoke and probe. */
  asToken(token: string): GitHubOctokit
}

export function createClient(config: GitHubConfig, host: ConnectorHost): GitHubClient {
  const { system, log } = host
  // octokit's own log lines carry a message and, sometimes, request options: only the message is kept.
  const octokitLog = {
    debug: (message: string) => log.debug({ system, source: 'octokit' }, message),
    info: (message: string) => log.info({ system, source: 'octokit' }, message),
    warn: (message: string) => log.warn({ system, source: 'octokit' }, message),
    error: (message: string) => log.error({ system, source: 'octokit' }, message),
  }
  const onLimit = (kind: string) => (retryAfterSeconds: number, options: { method?: string; url?: string }, _octokit: unknown, retryCount: number) => {
    const retrying = retryCount < config.retries && retryAfterSeconds <= config.maxRetryAfterSeconds
    log.warn({ system, method: options.method, route: options.url, retry_after_seconds: retryAfterSeconds, retry_count: retryCount, retrying }, `GitHub ${kind} rate limit`)
    return retrying
  }
  const defaults = {
    baseUrl: config.baseUrl,
    log: octokitLog,
    request: { fetch: host.fetch },
    retry: { retries: config.retries, retryAfterBaseValue: config.retryBaseDelayMs },
    // One limiter group per system: the plugin's groups are process-wide otherwise.
    throttle: { id: system, onSecondaryRateLimit: onLimit('secondary'), onRateLimit: onLimit('primary') },
  }
  const app = new App({ appId: config.appId, privateKey: normalisePem(config.privateKey.reveal()), Octokit: GitHubOctokit.defaults(defaults), log: octokitLog })
  return {
    system,
    config,
    host,
    app: app.octokit as unknown as GitHubOctokit,
    asToken: (token) =>
      // The throttling plugin spaces every write 1 s apart process-wide; a revocation cascade
      // must not queue behind that, and retries its own rate-limited tasks later.
      // plugin-retry would also repeat a 429 or 503 after 1 s, 4 s, ... whatever GitHub's
      // retry-after says: those are left to the cascade, which waits what GitHub asked.
      new GitHubOctokit({ ...defaults, auth: token, throttle: { ...defaults.throttle, enabled: false }, retry: { ...defaults.retry, doNotRetry: [...retryDefaults.doNotRetry, 429, 503] } }),
  }
}

interface RequestErrorLike {
  readonly status: number
  readonly message: string
  readonly response?: { readonly headers?: Record<string, string | undefined> }
}

function isRequestError(error: unknown): error is RequestErrorLike {
  return error instanceof Error && error.name === 'HttpError' && typeof (error as Partial<RequestErrorLike>).status === 'number'
}

export function statusOf(error: unknown): number | undefined {
  return isRequestError(error) ? error.status : undefined
}

function isRateLimited(error: RequestErrorLike): boolean {
  return (error.status === 403 || error.status === 429) && (/\bsecondary rate\b/i.test(error.message) || error.response?.headers?.['x-ratelimit-remaining'] === '0')
}

/**
 * When GitHub says to come back: `retry-after` (secondary limits, 429, 503), else the primary
 * limit's `x-ratelimit-reset` (epoch seconds) once `x-ratelimit-remaining` is 0.
 */
function retryAfter(error: RequestErrorLike, now: Date): number | undefined {
  const headers = error.response?.headers ?? {}
  const fromHeader = parseRetryAfter(headers['retry-after'], now)
  if (fromHeader !== undefined) return fromHeader
  const reset = Number(headers['x-ratelimit-reset'])
  return headers['x-ratelimit-remaining'] === '0' && Number.isInteger(reset) ? Math.max(0, reset * 1000 - now.getTime()) : undefined
}

/** Why GitHub refused the App JWT, in our words (its bodies are never passed on). */
function appRefusal(error: RequestErrorLike, appId: number): string {
  if (/Integration not found/.test(error.message)) return `GitHub knows no App ${appId}; check appId`
  if (/could not be decoded/.test(error.message)) return `GitHub refused the App JWT: privateKey is not a key of App ${appId}`
  if (/'(Issued at|Expiration time)' claim/.test(error.message)) return 'GitHub refused the App JWT: the clocks disagree by more than GitHub allows'
  return 'GitHub refused the App credentials'
}

/**
 * The one translation from octokit's errors to the catalogue. (1) Ours pass through. (2) The
 * caller gave up: UpstreamUnavailable. (3) GitHub answered: 5xx, 429 and rate limits are
 * UpstreamUnavailable (retryable); 401 on an App call is UpstreamRefused saying which of appId
 * and privateKey is wrong; `refusals` gives other statuses an operation-specific reason.
 * (4) No answer at all (connection refused, reset): UpstreamUnavailable. No cause is kept:
 * octokit errors carry GitHub's bodies.
 */
export function translate(client: GitHubClient, error: unknown, action: string, refusals: Readonly<Record<number, string>> = {}): LanyardError {
  const { system } = client
  if (isLanyardError(error)) return error
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) {
    return new UpstreamUnavailable(system, { detail: `${action}: aborted by the caller` })
  }
  if (!isRequestError(error)) return new UpstreamUnavailable(system, { detail: `${action}: no answer from GitHub` })
  const { status } = error
  if (status >= 500 || status === 429 || isRateLimited(error)) {
    const answer = `GitHub answered ${status}${isRateLimited(error) ? ' (rate limited)' : ''}`
    const retryAfterMs = retryAfter(error, client.host.clock.now())
    return new UpstreamUnavailable(system, { answer, detail: `${action}: ${answer}`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) })
  }
  const reason = refusals[status] ?? (status === 401 ? appRefusal(error, client.config.appId) : `${action}: GitHub answered ${status}`)
  return new UpstreamRefused(system, reason, { detail: `${action}: GitHub answered ${status}` })
}

/** Refuses to start anything for a caller that already gave up. */
export function ensureNotAborted(client: GitHubClient, signal: AbortSignal, action: string): void {
  if (signal.aborted) throw translate(client, new DOMException('aborted by the caller', 'AbortError'), action)
}

/**
 * Runs `work` but settles as soon as `signal` aborts: octokit's retry waits do not listen to
 * the signal, and the caller must not wait for them. A request already sent is cancelled by
 * the same signal inside fetch.
 */
export async function untilAborted<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  const abortError = () => new DOMException('aborted by the caller', 'AbortError')
  if (signal.aborted) throw abortError()
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError())
    signal.addEventListener('abort', onAbort, { once: true })
  })
  const running = work()
  // Once the caller is gone, a late failure of `work` has no one to tell.
  running.catch(() => undefined)
  try {
    return await Promise.race([running, aborted])
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
  }
}

/** GitHub's permission maps, typed with optional members, as plain string records. */
export function stringEntries(record: object): Record<string, string> {
  return Object.fromEntries(Object.entries(record).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
}

/**
 * One call authenticated as an installation token. True when GitHub accepted the token, false
 * when it answered 401 (revoked, expired, or the App uninstalled); anything else is translated.
 */
export async function acceptsToken(client: GitHubClient, token: string, route: 'DELETE /installation/token' | 'GET /rate_limit', signal: AbortSignal, action: string): Promise<boolean> {
  try {
    await untilAborted<unknown>(signal, () => client.asToken(token).request(route, { request: { signal } }))
    return true
  } catch (error) {
    if (statusOf(error) === 401) return false
    throw translate(client, error, action)
  }
}
