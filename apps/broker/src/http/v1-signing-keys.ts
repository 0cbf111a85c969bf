import { Router } from 'express'
import type { Lanyard } from '@lanyard/core'
import { allow, readers } from './access.js'

/**
 * GET /v1/signing-keys: the broker's signing keys, public halves only: every key ever used
 * (the receipt keys), each marked `published` when it is in /.well-known/jwks.json now (the
 * current key and the retired ones still inside their retention). Never a private member.
 */
export function v1SigningKeyRoutes(lanyard: Lanyard): Router {
  const router = Router()
  router.get('/signing-keys', allow(...readers), async (_req, res) => {
    const [all, published] = await Promise.all([lanyard.keys.receiptKeys(), lanyard.keys.jwks()])
    const live = new Set(published.keys.map((k) => k.kid))
    res.json({
      keys: all.keys.map((k) => ({ kid: k.kid, alg: k.alg, kty: k.kty, ...(k.crv === undefined ? {} : { crv: k.crv }), published: live.has(k.kid) })),
    })
  })
  return router
}
