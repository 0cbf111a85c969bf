import { BrokerUnreachable, errorFromResponse, isRecord, LanyardClientError } from './errors.js'

/**
 * One request to the broker, answered as a JSON object or thrown as a LanyardClientError. The
 * request body (assertions, tokens) never reaches an error: only the URL's origin, the status
 * and the broker's public error text do.
 */
export async function requestJson(
  fetchImpl: typeof fetch,
  url: URL,
  init: { form?: URLSearchParams; json?: unknown; headers?: Record<string, string>; onHeaders?: (headers: Headers) => void } = {},
): Promise<Record<string, unknown>> {
  let response: Response
  try {
    const body = init.form ? init.form.toString() : init.json === undefined ? undefined : JSON.stringify(init.json)
    const type: Record<string, string> = init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : init.json === undefined ? {} : { 'content-type': 'application/json' }
    response = await fetchImpl(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { accept: 'application/json', ...type, ...init.headers },
      ...(body === undefined ? {} : { body }),
    })
  } catch (err) {
    throw new BrokerUnreachable({ description: `cannot reach the broker at ${url.origin}${networkCode(err)}`, cause: err })
  }
  init.onHeaders?.(response.headers)
  const body = await response.json().catch(() => undefined)
  if (!response.ok) throw errorFromResponse(response.status, body)
  if (!isRecord(body)) throw new LanyardClientError('invalid_response', { description: `${url.pathname} answered without a JSON object`, status: response.status })
  return body
}

/** Node's fetch hides the socket error under `cause` (ECONNREFUSED, ENOTFOUND, ...). */
function networkCode(err: unknown): string {
  const cause = isRecord(err) ? err.cause : undefined
  const code = isRecord(cause) && typeof cause.code === 'string' ? cause.code : undefined
  return code ? ` (${code})` : ''
}
