import { Router } from 'express'
import { RequestInvalid, type Lanyard } from '@lanyard/core'

/**
 * POST /oauth/revoke (RFC 7009) for handle tokens. Possession of the token is the
 * authorisation; the answer is 200 whether or not the token was known (RFC 7009 2.2).
 */
export function oauthRevokeRoutes(lanyard: Lanyard): Router {
  const router = Router()
  router.post('/oauth/revoke', async (req, res) => {
    const token = (req.body as Record<string, unknown> | undefined)?.token
    if (typeof token !== 'string' || token.length === 0) throw new RequestInvalid(['token: required'])
    await lanyard.revokeToken(token)
    res.setHeader('Cache-Control', 'no-store')
    res.status(200).end()
  })
  return router
}
