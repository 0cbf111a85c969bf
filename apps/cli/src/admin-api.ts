import { BrokerAnswered, BrokerUnreachable, CliError } from './cli-error.js'

export interface AdminApi {
  get<T>(path: string, query?: Record<string, string | undefined>): Promise<T>
  post<T>(path: string, body?: unknown): Promise<T>
  /** Resolves on 2xx, with or without a body; `body` is sent as JSON only when given. */
  delete<T = void>(path: string, body?: unknown): Promise<T>
}

/**
 * The broker's `/v1` admin API with the admin bearer. Every non-2xx answer becomes a CliError
 * whose message is one line built from the problem details (RFC 9457) or OAuth error body:
 * the broker's public text, code and status, never the bearer.
 */
export function createAdminApi(options: { url: string; token: string; fetch?: typeof fetch }): AdminApi {
  const fetchImpl = options.fetch ?? globalThis.fetch
  const base = options.url.replace(/\/+$/, '')

  async function send<T>(method: 'GET' | 'POST' | 'DELETE', path: string, init: { query?: Record<string, string | undefined>; body?: unknown }): Promise<T> {
    const url = new URL(`${base}${path}`)
    for (const [key, value] of Object.entries(init.query ?? {})) if (value !== undefined) url.searchParams.set(key, value)
    let response: Response
    try {
      response = await fetchImpl(url, {
        method,
        headers: { accept: 'application/json', authorization: `Bearer ${options.token}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      })
    } catch (err) {
      throw new BrokerUnreachable(`cannot reach the broker at ${url.origin}${socketCode(err)}: is \`lanyard serve\` running, and is --url right?`)
    }
    const text = await response.text()
    const body = parse(text)
    if (!response.ok) throw new BrokerAnswered(describeFailure(response.status, body), response.status, brokerCode(body))
    if (body === undefined && method !== 'DELETE') throw new CliError(`${method} ${url.pathname} answered HTTP ${response.status} without a JSON body`)
    return body as T
  }

  return {
    get: (path, query) => send('GET', path, { query }),
    post: (path, body) => send('POST', path, { body: body ?? {} }),
    delete: (path, body) => send('DELETE', path, body === undefined ? {} : { body }),
  }
}

/**
 * One line for a refusal. (1) Problem details: detail (or title), the validation messages, then
 * code and status. (2) OAuth error: code and description. (3) Anything else: the status alone,
 * because an unknown body may echo what was sent.
 */
export function describeFailure(status: number, body: unknown): string {
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {}
  const text = (key: string) => (typeof record[key] === 'string' && record[key] !== '' ? (record[key] as string) : undefined)
  const message = text('detail') ?? text('title')
  if (message !== undefined) {
    const errors = Array.isArray(record.errors) ? record.errors.filter((e): e is string => typeof e === 'string') : []
    const list = errors.length > 0 && !errors.every((e) => message.includes(e)) ? `: ${errors.join('; ')}` : ''
    return `${message}${list} (${[text('code'), `HTTP ${status}`].filter(Boolean).join(', ')})`
  }
  const error = text('error')
  if (error !== undefined) return `${error}${text('error_description') ? `: ${text('error_description')}` : ''} (HTTP ${status})`
  if (status === 401) return 'the broker refused the admin token (HTTP 401)'
  return `the broker answered HTTP ${status}`
}

/** The broker's stable code for a refusal: the problem's `code`, else the OAuth `error`. */
function brokerCode(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const { code, error } = body as Record<string, unknown>
  return typeof code === 'string' ? code : typeof error === 'string' ? error : undefined
}

function parse(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text)
  } catch {
    return undefined
  }
}

function socketCode(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause
  return typeof cause?.code === 'string' ? ` (${cause.code})` : ''
}
