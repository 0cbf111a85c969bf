import { createHash, timingSafeEqual } from 'node:crypto'
import type { RequestHandler } from 'express'
import { ClientUnauthorized, type SecretValue } from '@lanyard/core'

const digest = (value: string) => createHash('sha256').update(value).digest()

/** Bearer admin credentials, compared in constant time on their digests. Sets `res.locals.actor`. */
export function adminAuth(adminToken: SecretValue): RequestHandler {
  const expected = digest(adminToken.reveal())
  return (req, res, next) => {
    const header = req.headers.authorization ?? ''
    const match = /^Bearer ([\x21-\x7e]+)$/i.exec(header)
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) return next(new ClientUnauthorized({ detail: match ? 'wrong admin token' : 'no bearer token' }))
    res.locals.actor = 'admin:bootstrap'
    next()
  }
}
