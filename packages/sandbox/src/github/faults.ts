import { GitHubError, messages } from './github-error.js'

/** Which requests a fault applies to; absent fields match everything. */
export interface FaultMatch {
  readonly method?: string
  /** Exact path (`/app/installations/1001/access_tokens`) or a pattern tested against it. */
  readonly path?: string | RegExp
}

interface Rule {
  remaining: number
  readonly match: FaultMatch
  readonly error: () => GitHubError
}

const serverErrorMessages: Record<number, string> = { 500: 'Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' }

/**
 * Queued upstream trouble. Each request takes the first rule that matches and still has
 * answers left, before authentication and before any state changes: a faulted
 * `POST .../access_tokens` mints nothing.
 */
export class Faults {
  readonly #rules: Rule[] = []

  serverError(count: number, status: number, match: FaultMatch): void {
    this.#add(count, match, () => new GitHubError(status, serverErrorMessages[status] ?? `Error ${status}`))
  }

  /** GitHub's secondary rate limit: 403 (or 429) with `retry-after` and the message clients match. */
  secondaryRateLimit(count: number, retryAfterSeconds: number, status: 403 | 429, match: FaultMatch): void {
    this.#add(count, match, () => new GitHubError(status, messages.secondaryRateLimit, {
      documentationUrl: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      headers: { 'retry-after': String(retryAfterSeconds) },
    }))
  }

  /** GitHub's primary rate limit: 403 with `x-ratelimit-remaining: 0` and the reset time. */
  primaryRateLimit(count: number, resetAtSeconds: () => number, match: FaultMatch): void {
    this.#add(count, match, () => new GitHubError(403, messages.primaryRateLimit, {
      documentationUrl: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit',
      headers: { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-reset': String(resetAtSeconds()) },
    }))
  }

  take(method: string, path: string): GitHubError | undefined {
    const rule = this.#rules.find((r) => r.remaining > 0 && matches(r.match, method, path))
    if (rule === undefined) return undefined
    rule.remaining -= 1
    return rule.error()
  }

  clear(): void {
    this.#rules.length = 0
  }

  #add(count: number, match: FaultMatch, error: () => GitHubError): void {
    if (!Number.isInteger(count) || count < 1) throw new Error('fault count must be a positive integer')
    this.#rules.push({ remaining: count, match, error })
  }
}

function matches(match: FaultMatch, method: string, path: string): boolean {
  if (match.method !== undefined && match.method.toUpperCase() !== method) return false
  if (match.path === undefined) return true
  return typeof match.path === 'string' ? match.path === path : match.path.test(path)
}
