import { Router } from 'express'
import type { Lanyard } from '@lanyard/core'
import { jwtBearerGrant, tokenExchangeGrant } from './oauth-token.js'

/** Discovery (RFC 8414 / OpenID) and the JWKS every relying party verifies against. */
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
      grant_types_supported: [jwtBearerGrant, tokenExchangeGrant],
      token_endpoint_auth_methods_supported: ['none'],
      token_endpoint_auth_signing_alg_values_supported: ['EdDSA', 'ES256'],
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
  return router
}
