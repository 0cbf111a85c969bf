import createClient from 'openapi-fetch'
import type { paths } from './schema.js'

/**
 * The console's one API client, typed from the broker's OpenAPI document (schema.d.ts,
 * generated). Same origin, the session cookie; every call carries X-Lanyard-CSRF: 1, which the
 * broker requires of a cookie-authenticated /v1 request (no cross-site form can send it).
 */
export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin', headers: { 'X-Lanyard-CSRF': '1' } })

/** An error answer: RFC 9457 problem+json on /v1 and /console. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string | undefined
  constructor(status: number, code: string | undefined, detail: string) {
    super(detail)
    this.status = status
    this.code = code
  }
}

interface Answer<T> {
  readonly data?: T
  readonly error?: unknown
  readonly response: Response
}

/** The body of a successful answer, as the console's wire type; else throws ApiError. */
export async function must<W>(call: Promise<Answer<unknown>>): Promise<W> {
  const { data, error, response } = await call
  if (!response.ok) {
    const problem = (error ?? {}) as { detail?: string; title?: string; code?: string }
    throw new ApiError(response.status, problem.code, `${response.status} ${problem.code ?? ''} ${problem.detail ?? problem.title ?? response.statusText}`.replace(/\s+/g, ' ').trim())
  }
  return data as W
}
