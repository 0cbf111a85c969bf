import { Router } from 'express'
import { dpopAlgorithms, type Lanyard } from '@lanyard/core'
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
  router.get('/.well-known/openid-configuration', (_req, res) => {
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
    })
  })
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
