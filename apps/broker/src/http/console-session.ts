import express, { Router, type CookieOptions, type RequestHandler, type Response } from 'express'
import { z } from 'zod'
import type { Caller, Lanyard } from '@lanyard/core'
import { readCookie, sessionCookie, type AdminAuthenticator } from './admin-auth.js'
import { parseInput } from './validate.js'
import { callerJson } from './v1-admins.js'

export interface ConsoleSessionSettings {
  readonly sessionTtlSeconds: number
  /** `Secure` on the cookie: always, unless the broker listens on loopback only (plain http there). */
  readonly secureCookies: boolean
}

export const signInBody = z.object({ token: z.string().min(1).max(512) }).strict()

/** The session cookie's attributes: HttpOnly (no script reads it), SameSite=Strict, whole site. */
export function sessionCookieOptions(settings: ConsoleSessionSettings): CookieOptions {
  return { httpOnly: true, sameSite: 'strict', path: '/', secure: settings.secureCookies, maxAge: settings.sessionTtlSeconds * 1000 }
}

/** Opens a console session for `caller` and sets its cookie. */
export async function signIn(lanyard: Lanyard, settings: ConsoleSessionSettings, caller: Caller, res: Response): Promise<void> {
  const { id } = await lanyard.startSession(caller, settings.sessionTtlSeconds)
  res.cookie(sessionCookie, id, sessionCookieOptions(settings))
}

/**
 * /console/session: POST `{ "token": "<named admin token>" }` signs in (answering who, as
 * /v1/me does) and sets the session cookie; DELETE signs out. JSON only: a cross-site form
 * cannot post JSON, so no page elsewhere can sign a browser in. The session is kept server-side
 * (admins area, its id hashed) and expires after `sessionTtlSeconds`.
 */
export function consoleSessionRoutes(lanyard: Lanyard, auth: AdminAuthenticator, settings: ConsoleSessionSettings, jsonOnly: RequestHandler, limit: number): Router {
  const router = Router()
  router.post('/console/session', jsonOnly, express.json({ limit, strict: true }), async (req, res) => {
    const { token } = parseInput(signInBody, req.body, 'body')
    const caller = await auth.bearer(token)
    await signIn(lanyard, settings, caller, res)
    res.setHeader('Cache-Control', 'no-store').json(callerJson(caller))
  })
  router.delete('/console/session', async (req, res) => {
    const id = readCookie(req, sessionCookie)
    if (id !== undefined) await lanyard.endSession(id)
    const { maxAge: _maxAge, ...clear } = sessionCookieOptions(settings)
    res.clearCookie(sessionCookie, clear).status(204).end()
  })
  return router
}
