import { Router, type RequestHandler } from 'express'
import { RequestInvalid, type Lanyard } from '@lanyard/core'
import { resourceServerOf } from './resource-server-auth.js'

/** POST /oauth/introspect (RFC 7662): admin bearer, or a resource server's for its own tokens. Inactive says nothing more. */
export function oauthIntrospectRoutes(lanyard: Lanyard, auth: RequestHandler): Router {
  const router = Router()
  router.post('/oauth/introspect', auth, async (req, res) => {
    res.setHeader('Cache-Control', 'no-store')
    const token = (req.body as Record<string, unknown> | undefined)?.token
    if (typeof token !== 'string' || token.length === 0) throw new RequestInvalid(['token: required'])
    const result = await lanyard.introspect(token)
    // A resource server learns about tokens for its own resources only (RFC 7662 4).
    const server = resourceServerOf(res.locals)
    if (server !== undefined && (result.accessToken === undefined || !server.resources.includes(result.accessToken.audience))) {
      res.json({ active: false })
      return
    }
    if (result.active && result.accessToken !== undefined) {
      const access = result.accessToken
      res.json({
        active: true,
        sub: access.handle,
        iss: lanyard.settings.issuer,
        aud: access.audience,
        scope: access.scope,
        client_id: access.clientId,
        exp: Math.floor(access.expiresAt.getTime() / 1000),
        iat: Math.floor(access.issuedAt.getTime() / 1000),
        jti: access.jti,
        token_type: access.jkt === undefined ? 'Bearer' : 'DPoP',
        ...(access.jkt === undefined ? {} : { cnf: { jkt: access.jkt } }),
      })
      return
    }
    if (!result.active || result.claims === undefined) {
      res.json({ active: false })
      return
    }
    const { claims } = result
    res.json({
      active: true,
      sub: claims.handle,
      iss: lanyard.settings.issuer,
      aud: lanyard.settings.issuer,
      exp: Math.floor(claims.expiresAt.getTime() / 1000),
      iat: Math.floor(claims.issuedAt.getTime() / 1000),
      jti: claims.jti,
      gen: claims.generation,
      // RFC 9449 6.2: a bound token says so, and to which key.
      token_type: claims.jkt === undefined ? 'Bearer' : 'DPoP',
      ...(claims.jkt === undefined ? {} : { cnf: { jkt: claims.jkt } }),
    })
  })
  return router
}
