import { createHash, timingSafeEqual } from 'node:crypto'
import type { Request, RequestHandler } from 'express'
import { bootstrapSubject, ClientUnauthorized, principalOf, type Caller, type Lanyard, type SecretValue } from '@lanyard/core'

const digest = (value: string) => createHash('sha256').update(value).digest()

/** The console session cookie: an opaque random id; the store keeps its SHA-256 (admins area). */
export const sessionCookie = 'lanyard_session'

/** The header every cookie-authenticated /v1 request carries: a cross-site form cannot send one. */
export const csrfHeader = 'x-lanyard-csrf'

/** The value of cookie `name` in the request's Cookie header, if any. */
export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

export interface AdminAuthenticator {
  /** The caller a bearer token stands for: the bootstrap token (until retired) or a named admin's. */
  bearer(token: string): Promise<Caller>
  /** /v1: sets `res.locals.caller` and `res.locals.actor` (its principal, the audit actor). */
  readonly middleware: RequestHandler
}

/**
 * Admin authentication, for /v1 and the console:
 * (1) `Authorization: Bearer <token>`: the bootstrap token, compared in constant time on its
 *     digest, refused once retired (recorded in the store, so on every replica); else a named
 *     admin's token, looked up by its SHA-256 (unknown, expired and revoked ones are refused);
 * (2) else the console session cookie, which must come with `X-Lanyard-CSRF: 1`;
 * (3) else 401.
 * Every refusal is 401 ClientUnauthorized; the log detail says which, never any token.
 */
export function createAdminAuthenticator(lanyard: Lanyard, bootstrapToken: SecretValue): AdminAuthenticator {
  const expected = digest(bootstrapToken.reveal())
  const bootstrap: Caller = { principal: principalOf(bootstrapSubject), subject: bootstrapSubject, roles: ['admin'], via: 'bootstrap' }

  async function bearer(token: string): Promise<Caller> {
    if (timingSafeEqual(digest(token), expected)) {
      if (await lanyard.isBootstrapRetired()) throw new ClientUnauthorized({ detail: 'the bootstrap token is retired' })
      return bootstrap
    }
    return lanyard.authenticateAdminToken(token)
  }

  async function authenticate(req: Request): Promise<Caller> {
    const header = req.headers.authorization
    if (header !== undefined) {
      const match = /^Bearer ([\x21-\x7e]+)$/i.exec(header)
      if (!match) throw new ClientUnauthorized({ detail: 'malformed Authorization header' })
      return bearer(match[1]!)
    }
    const session = readCookie(req, sessionCookie)
    if (session === undefined) throw new ClientUnauthorized({ detail: 'no bearer token and no session' })
    if (req.headers[csrfHeader] !== '1') throw new ClientUnauthorized({ reason: 'csrf-header', detail: 'session cookie without the CSRF header' })
    const caller = await lanyard.resumeSession(session)
    if (caller === undefined) throw new ClientUnauthorized({ detail: 'unknown, expired or revoked console session' })
    return caller
  }

  return {
    bearer,
    // Errors go to `next` (not a rejected promise): callers wrap this middleware in their own.
    middleware: (req, res, next) => {
      authenticate(req).then((caller) => {
        res.locals.caller = caller
        res.locals.actor = caller.principal
        next()
      }, next)
    },
  }
}
