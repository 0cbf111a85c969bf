import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { Logger } from '@lanyard/core'
import { oauthErrorAnswer } from './error-handler.js'
import type { Metrics } from './metrics.js'
import type { TokenAnswer, TokenEndpoint } from './oauth-token.js'

/** The one request the lean path takes: anything else (another method, a query, `/oauth/token/`, other case) goes to express. */
const path = '/oauth/token'

export interface TokenLaneDeps {
  readonly endpoint: TokenEndpoint
  /** The same `express.urlencoded` instance express mounts on /oauth: same limits, charsets, encodings. */
  readonly parseForm: (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void
  readonly metrics: Metrics
  readonly log: Logger
  /** Everything but `POST /oauth/token`. */
  readonly fallback: RequestListener
}

/**
 * `POST /oauth/token` on node:http, in front of express: express's routing and request/response
 * decoration cost about as much CPU as the rest of an exchange (issue #14). Same answers as the
 * express route, byte for byte but the Date header: the same body parser instance, the same
 * endpoint function (`createTokenEndpoint`), the same error answer (`oauthErrorAnswer`), the same
 * `lanyard_http_requests_total` labels (`unmatched` when the body is refused before the route, as
 * express counts it), and `res.json`'s headers. `oauth-token-lane.test.ts` compares the two.
 */
export function tokenLane(deps: TokenLaneDeps): RequestListener {
  const { endpoint, parseForm, metrics, log, fallback } = deps
  return (req, res) => {
    if (req.method !== 'POST' || req.url !== path) {
      fallback(req, res)
      return
    }
    let route = 'unmatched'
    res.on('finish', () => metrics.httpRequests.inc({ route, status: String(res.statusCode) }))
    // A refusal goes out a turn later, as from express, whose nested router hands an error on
    // with setImmediate: work the failure started (an aborted upstream socket closing) has
    // happened by the time the client reads the answer, as it had behind express.
    const refuse = (thrown: unknown) =>
      setImmediate(() => {
        if (res.headersSent) res.destroy()
        else send(res, oauthErrorAnswer(log, thrown, path, res))
      })
    parseForm(req, res, (error) => {
      if (error !== undefined) {
        refuse(error)
        return
      }
      route = path
      // body-parser parses only a body whose type matches (type-is, as express's `req.is` uses):
      // a parsed body is a form body, and no parsed body means no form.
      const body = (req as IncomingMessage & { body?: unknown }).body
      endpoint({ body, isForm: body !== undefined, dpopProof: req.headers.dpop as string | undefined, method: 'POST' }, res)
        .then((answer) => send(res, answer))
        .catch(refuse)
    })
  }
}

/** express's `res.status(status).json(body)`, with etag off and no JSON replacer or spaces. */
function send(res: ServerResponse, { status, body }: TokenAnswer): void {
  const payload = JSON.stringify(body)
  res.statusCode = status
  res.setHeader('Content-Type', 'application/json; charset=utf-8')
  res.setHeader('Content-Length', Buffer.byteLength(payload))
  res.end(payload)
}
