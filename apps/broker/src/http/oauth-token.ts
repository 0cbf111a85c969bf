import { Router } from 'express'
import { GrantTypeUnsupported, RequestInvalid, SystemUnknown, type Lanyard } from '@lanyard/core'
import type { Metrics } from './metrics.js'

export const jwtBearerGrant = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
export const tokenExchangeGrant = 'urn:ietf:params:oauth:grant-type:token-exchange'
export const jwtTokenType = 'urn:ietf:params:oauth:token-type:jwt'
const acceptedSubjectTypes = [jwtTokenType, 'urn:ietf:params:oauth:token-type:access_token']
const systemResource = /^urn:lanyard:system:([a-z0-9][a-z0-9-]{0,62})$/

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
 * Which system an exchange is for: `resource=urn:lanyard:system:NAME`, `resource=<URL>` of a
 * system that serves that resource (an MCP server, as MCP clients send it, RFC 8707), or
 * `audience=NAME`.
 */
function systemOf(body: Record<string, unknown>, resources: ReadonlyMap<string, string>): string {
  const resource = single(body, 'resource')
  const audience = single(body, 'audience')
  if (resource !== undefined) {
    const name = systemResource.exec(resource)?.[1] ?? resources.get(resource)
    if (name === undefined) {
      if (/^https?:\/\//.test(resource) && URL.canParse(resource)) throw new SystemUnknown(resource)
      throw new RequestInvalid(['resource: expected urn:lanyard:system:<name> or the URL of a configured resource'])
    }
    if (audience !== undefined && audience !== name) throw new RequestInvalid(['audience: disagrees with resource'])
    return name
  }
  if (audience !== undefined) return audience
  throw new RequestInvalid(['resource: required (urn:lanyard:system:<name>), or audience'])
}

/** POST /oauth/token: RFC 7523 jwt-bearer (agent authentication) and RFC 8693 token exchange. */
export function oauthTokenRoutes(lanyard: Lanyard, metrics: Metrics, resources: ReadonlyMap<string, string> = new Map()): Router {
  const router = Router()
  // RFC 9449 4.3 (9): `htu` is the URL the client addressed; behind a proxy that is the public
  // issuer's, never the Host header's (which the client controls).
  const tokenEndpoint = `${lanyard.settings.issuer}/oauth/token`
  router.post('/oauth/token', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store')
    res.setHeader('Pragma', 'no-cache')
    const body = (req.body ?? {}) as Record<string, unknown>
    if (!req.is('application/x-www-form-urlencoded')) throw new RequestInvalid(['content-type: must be application/x-www-form-urlencoded'])
    const grantType = single(body, 'grant_type', true)
    // Two DPoP headers arrive joined by ", ", which no compact JWS contains: refused as malformed.
    const dpop = { proof: req.get('DPoP'), method: req.method, url: tokenEndpoint }
    const nonce = lanyard.dpopNonce()
    if (nonce !== undefined) res.setHeader('DPoP-Nonce', nonce)
    switch (grantType) {
      case jwtBearerGrant: {
        const clientId = single(body, 'client_id')
        const authenticated = await lanyard.authenticate(single(body, 'assertion', true), { dpop, ...(clientId === undefined ? {} : { clientId }) })
        metrics.authentications.inc()
        res.json({
          access_token: authenticated.token,
          // RFC 9449 5: a bound token is announced as DPoP.
          token_type: authenticated.jkt === undefined ? 'Bearer' : 'DPoP',
          expires_in: Math.max(0, Math.round((authenticated.expiresAt.getTime() - Date.now()) / 1000)),
          issued_token_type: jwtTokenType,
        })
        return
      }
      case tokenExchangeGrant: {
        const subjectTokenType = single(body, 'subject_token_type', true)
        if (!acceptedSubjectTypes.includes(subjectTokenType)) throw new RequestInvalid([`subject_token_type: expected ${jwtTokenType}`])
        if (body.actor_token !== undefined) throw new RequestInvalid(['actor_token: delegation is not supported'])
        const system = systemOf(body, resources)
        const scope = single(body, 'scope')
        const stop = metrics.exchangeSeconds.startTimer({ system })
        try {
          const exchanged = await lanyard.exchange({ subjectToken: single(body, 'subject_token', true), system, dpop, ...(scope === undefined ? {} : { scopes: scope.split(' ').filter(Boolean) }) })
          stop({ outcome: 'issued' })
          const { credential } = exchanged
          res.json({
            ...credential.extra,
            access_token: credential.accessToken,
            issued_token_type: credential.issuedTokenType,
            token_type: credential.tokenType,
            expires_in: Math.max(0, Math.floor((exchanged.expiresAt.getTime() - Date.now()) / 1000)),
            scope: exchanged.scopes.join(' '),
            grant_id: exchanged.grantId,
          })
        } catch (error) {
          stop({ outcome: 'refused' })
          throw error
        }
        return
      }
      default:
        throw new GrantTypeUnsupported(grantType)
    }
  })
  return router
}
