import { Router, type RequestHandler } from 'express'
import { dpopAlgorithms, type Lanyard } from '@lanyard/core'
import { revocationEventsPath } from '../events/revocation-stream.js'
import { jwtBearerGrant, tokenExchangeGrant } from './oauth-token.js'

/**
 * Every key a revocation receipt may have been signed with, retired ones included: receipts
 * are kept as evidence for longer than a key stays in the JWKS. Announced in discovery as
 * `lanyard_receipt_keys_uri` (an extension member, RFC 8414 §2).
 */
const receiptKeysPath = '/.well-known/lanyard-receipt-keys.json'

/** Discovery (RFC 8414 / OpenID), the JWKS every relying party verifies against, the receipt keys. */
export function wellKnownRoutes(lanyard: Lanyard): Router {
  const router = Router()
  const issuer = lanyard.settings.issuer
  // One document at both addresses: OpenID discovery, and RFC 8414 where MCP clients and
  // resource servers look.
  const discovery: RequestHandler = (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300')
    res.json({
      issuer,
      token_endpoint: `${issuer}/oauth/token`,
      introspection_endpoint: `${issuer}/oauth/introspect`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      lanyard_receipt_keys_uri: `${issuer}${receiptKeysPath}`,
      grant_types_supported: [jwtBearerGrant, tokenExchangeGrant],
      token_endpoint_auth_methods_supported: ['none'],
      token_endpoint_auth_signing_alg_values_supported: ['EdDSA', 'ES256'],
      dpop_signing_alg_values_supported: [...dpopAlgorithms],
      introspection_endpoint_auth_methods_supported: ['bearer'],
      id_token_signing_alg_values_supported: ['RS256', 'ES256'],
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      claims_supported: ['sub', 'aud', 'iss', 'exp', 'iat'],
      // RFC 8707: an exchange may name an mcp system by its resource URL (MCP authorization spec).
      resource_indicators_supported: true,
      // Revocation events for resource servers (server-sent events of CAEP SETs), an extension member.
      lanyard_revocation_events_endpoint: `${issuer}${revocationEventsPath}`,
    })
  }
  router.get('/.well-known/openid-configuration', discovery)
  router.get('/.well-known/oauth-authorization-server', discovery)
  router.get('/.well-known/jwks.json', async (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=60')
    res.json(await lanyard.keys.jwks())
  })
  router.get(receiptKeysPath, async (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=60')
    res.json(await lanyard.keys.receiptKeys())
  })
  return router
}
