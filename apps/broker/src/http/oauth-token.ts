import { Router } from 'express'
import { ApprovalRequired, GrantTypeUnsupported, RequestInvalid, TargetInvalid, type Lanyard } from '@lanyard/core'
import type { HeaderSink } from './error-handler.js'
import type { Metrics } from './metrics.js'

export const jwtBearerGrant = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
export const tokenExchangeGrant = 'urn:ietf:params:oauth:grant-type:token-exchange'
export const jwtTokenType = 'urn:ietf:params:oauth:token-type:jwt'
const acceptedSubjectTypes = [jwtTokenType, 'urn:ietf:params:oauth:token-type:access_token']
const systemResource = /^urn:lanyard:system:([a-z0-9][a-z0-9-]{0,62})$/
const systemName = /^[a-z0-9][a-z0-9-]{0,62}$/

function single(body: Record<string, unknown>, name: string, required: true): string
function single(body: Record<string, unknown>, name: string, required?: false): string | undefined
function single(body: Record<string, unknown>, name: string, required = false): string | undefined {
  const value = body[name]
  if (Array.isArray(value)) throw new RequestInvalid([`${name}: must appear once`])
  if (value === undefined || value === '') {
    if (required) throw new RequestInvalid([`${name}: required`])
    return undefined
  }
  if (typeof value !== 'string') throw new RequestInvalid([`${name}: must be a string`])
  return value
}

/**
 * Which system an exchange is for: one `resource=urn:lanyard:system:NAME`, `resource=<URL>` of a
 * system that serves that resource (an MCP server, as MCP clients send it, RFC 8707), or
 * `audience=NAME`. Anything else (repeated, upper case, `%00`, `../`, another form) is RFC 8707
 * invalid_target.
 */
function systemOf(body: Record<string, unknown>, resources: ReadonlyMap<string, string>): string {
  const resource = body.resource
  const audience = body.audience
  if (Array.isArray(resource) || Array.isArray(audience)) throw new TargetInvalid('resource and audience may each appear once')
  if (resource !== undefined && resource !== '') {
    if (typeof resource !== 'string') throw new TargetInvalid('resource: expected urn:lanyard:system:<name> or the URL of a configured resource')
    const name = systemResource.exec(resource)?.[1] ?? resources.get(resource)
    // An unknown URL too: one 400 invalid_target for every resource that names no configured system.
    if (name === undefined) throw new TargetInvalid('resource: expected urn:lanyard:system:<name> or the URL of a configured resource')
    if (audience !== undefined && audience !== name) throw new TargetInvalid('audience: disagrees with resource')
    return name
  }
  if (audience !== undefined && audience !== '') {
    if (typeof audience !== 'string' || !systemName.test(audience)) throw new TargetInvalid('audience: expected a system name')
    return audience
  }
  throw new RequestInvalid(['resource: required (urn:lanyard:system:<name>), or audience'])
}

/** What the token endpoint reads of a request, however it was read (express or the lean path). */
export interface TokenRequest {
  /** The parsed form; undefined when there was no body or it was not a form. */
  readonly body: unknown
  /** Whether the body is `application/x-www-form-urlencoded` (express's `req.is`). */
  readonly isForm: boolean
  /** The `DPoP` header as node joined it. */
  readonly dpopProof: string | undefined
  readonly method: string
}

/** A status and the JSON body to send; headers already set on the sink. */
export interface TokenAnswer {
  readonly status: number
  readonly body: unknown
}

/**
 * Answers one token request: sets its headers on `res`, returns status and body, or throws a
 * catalogue error for `oauthErrorAnswer`. The single place of the endpoint's rules: express's
 * route and the lean path (`oauth-token-lane.ts`) both call it.
 */
export type TokenEndpoint = (request: TokenRequest, res: HeaderSink) => Promise<TokenAnswer>

/** POST /oauth/token: RFC 7523 jwt-bearer (agent authentication) and RFC 8693 token exchange. */
export function createTokenEndpoint(lanyard: Lanyard, metrics: Metrics, systems: ReadonlySet<string>, resources: ReadonlyMap<string, string> = new Map()): TokenEndpoint {
  // RFC 9449 4.3 (9): `htu` is the URL the client addressed; behind a proxy that is the public
  // issuer's, never the Host header's (which the client controls).
  const tokenEndpoint = `${lanyard.settings.issuer}/oauth/token`
  return async (req, res) => {
    res.setHeader('Cache-Control', 'no-store')
    res.setHeader('Pragma', 'no-cache')
    const body = (req.body ?? {}) as Record<string, unknown>
    if (!req.isForm) throw new RequestInvalid(['content-type: must be application/x-www-form-urlencoded'])
    const grantType = single(body, 'grant_type', true)
    // Two DPoP headers arrive joined by ", ", which no compact JWS contains: refused as malformed.
    const dpop = { proof: req.dpopProof, method: req.method, url: tokenEndpoint }
    const nonce = lanyard.dpopNonce()
    if (nonce !== undefined) res.setHeader('DPoP-Nonce', nonce)
    switch (grantType) {
      case jwtBearerGrant: {
        const clientId = single(body, 'client_id')
        const authenticated = await lanyard.authenticate(single(body, 'assertion', true), { dpop, ...(clientId === undefined ? {} : { clientId }) })
        metrics.authentications.inc()
        return {
          status: 200,
          body: {
            access_token: authenticated.token,
            // RFC 9449 5: a bound token is announced as DPoP.
            token_type: authenticated.jkt === undefined ? 'Bearer' : 'DPoP',
            expires_in: Math.max(0, Math.round((authenticated.expiresAt.getTime() - Date.now()) / 1000)),
            issued_token_type: jwtTokenType,
          },
        }
      }
      case tokenExchangeGrant: {
        const subjectTokenType = single(body, 'subject_token_type', true)
        if (!acceptedSubjectTypes.includes(subjectTokenType)) throw new RequestInvalid([`subject_token_type: expected ${jwtTokenType}`])
        // RFC 8693 2.1: actor_token_type is required with actor_token, and only a handle token acts (#17).
        const actorToken = single(body, 'actor_token')
        const actorTokenType = single(body, 'actor_token_type')
        if ((actorToken === undefined) !== (actorTokenType === undefined)) throw new RequestInvalid(['actor_token and actor_token_type: both or neither'])
        if (actorTokenType !== undefined && !acceptedSubjectTypes.includes(actorTokenType)) throw new RequestInvalid([`actor_token_type: expected ${jwtTokenType}`])
        const system = systemOf(body, resources)
        const scope = single(body, 'scope')
        const approvalId = single(body, 'approval_id')
        const reason = single(body, 'reason')
        if (reason !== undefined && reason.length > 500) throw new RequestInvalid(['reason: at most 500 characters'])
        // Label values come from configuration only: a made-up audience adds no series.
        const stop = metrics.exchangeSeconds.startTimer({ system: systems.has(system) ? system : 'unknown' })
        try {
          const exchanged = await lanyard.exchange({ subjectToken: single(body, 'subject_token', true), system, dpop, ...(scope === undefined ? {} : { scopes: scope.split(' ').filter(Boolean) }), ...(approvalId === undefined ? {} : { approvalId }), ...(reason === undefined ? {} : { reason }), ...(actorToken === undefined ? {} : { actorToken }) })
          stop({ outcome: 'issued' })
          const { credential } = exchanged
          return {
            status: 200,
            body: {
              ...credential.extra,
              access_token: credential.accessToken,
              issued_token_type: credential.issuedTokenType,
              token_type: credential.tokenType,
              expires_in: Math.max(0, Math.floor((exchanged.expiresAt.getTime() - Date.now()) / 1000)),
              scope: exchanged.scopes.join(' '),
              grant_id: exchanged.grantId,
              // RFC 8693 4.1: who acted for the subject, most recent outermost (#17).
              ...(exchanged.act === undefined ? {} : { act: exchanged.act }),
            },
          }
        } catch (error) {
          stop({ outcome: 'refused' })
          if (error instanceof ApprovalRequired) return { status: 400, body: approvalRequiredBody(lanyard, error) }
          throw error
        }
      }
      default:
        throw new GrantTypeUnsupported(grantType)
    }
  }
}

/** The endpoint as an express route (requests the lean path leaves to express: see app.ts). */
export function oauthTokenRoutes(endpoint: TokenEndpoint): Router {
  const router = Router()
  router.post('/oauth/token', async (req, res) => {
    const { status, body } = await endpoint({ body: req.body, isForm: Boolean(req.is('application/x-www-form-urlencoded')), dpopProof: req.get('DPoP'), method: req.method }, res)
    res.status(status).json(body)
  })
  return router
}

/**
 * The answer to an exchange that waits for a person (#15): RFC 6749 §5.2 shape, Lanyard's own
 * error code, and where and how often to look (like RFC 8628's device flow `interval`).
 */
function approvalRequiredBody(lanyard: Lanyard, error: ApprovalRequired) {
  return {
    error: 'approval_required',
    error_description: error.message,
    code: error.code,
    approval_id: error.approvalId,
    expires_in: Math.max(0, Math.floor((error.expiresAt.getTime() - Date.now()) / 1000)),
    interval: lanyard.settings.approvals?.pollIntervalSeconds ?? 5,
    approval_uri: `${lanyard.settings.issuer.replace(/\/$/, '')}/v1/approvals/${encodeURIComponent(error.approvalId)}`,
  }
}
