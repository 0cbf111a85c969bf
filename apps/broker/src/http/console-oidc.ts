import { Router, type Request } from 'express'
import * as oidc from 'openid-client'
import { ClientUnauthorized, isAdminRole, principalOf, RoleRequired, type AdminRole, type Caller, type Lanyard, type Logger, type SecretValue } from '@lanyard/core'
import { readCookie } from './admin-auth.js'
import { signIn, type ConsoleSessionSettings } from './console-session.js'

/** `console.oidc` of lanyard.yaml, its client secret resolved. */
export interface ConsoleOidcSettings {
  readonly issuer: string
  readonly clientId: string
  readonly clientSecret?: SecretValue
  readonly redirectUri: string
  readonly rolesClaim: string
  readonly subjectClaim: string
  readonly roleMap: Readonly<Record<string, AdminRole>>
}

export interface ConsoleOidcDeps {
  readonly lanyard: Lanyard
  readonly log: Logger
  readonly session: ConsoleSessionSettings
  readonly settings: ConsoleOidcSettings
  /** The broker's bounded fetch for this issuer (address policy, time and size limits). */
  readonly fetch: typeof fetch
  /** Plain-http issuers: the sandbox only. */
  readonly allowHttp: boolean
}

/** The pending login (state, nonce, PKCE verifier), in its own cookie, for the callback only. */
const loginCookie = 'lanyard_oidc'
const loginTtlMs = 10 * 60 * 1000

/** The roles `claims` map to: each value of the roles claim looked up in `roleMap`, deduplicated. */
export function mapRoles(claims: Readonly<Record<string, unknown>>, rolesClaim: string, roleMap: Readonly<Record<string, AdminRole>>): AdminRole[] {
  const raw = claims[rolesClaim]
  const values = Array.isArray(raw) ? raw : typeof raw === 'string' ? [raw] : []
  const roles = new Set<AdminRole>()
  for (const value of values) {
    const role = typeof value === 'string' && Object.hasOwn(roleMap, value) ? roleMap[value] : undefined
    if (isAdminRole(role)) roles.add(role)
  }
  return [...roles]
}

/**
 * Console sign-in through the company's OpenID Provider (openid-client: authorization code +
 * PKCE S256, state and nonce checked, the ID token verified). GET /console/login sends the
 * browser to the provider; GET /console/callback takes the code back, maps the roles claim
 * through `roleMap` (no mapped role: 403), opens a console session (recorded on the admin
 * chain) and sends the browser to /console/. The login cookie is SameSite=Lax: the callback
 * is a top-level navigation from the provider's site, which a Strict cookie would not join.
 */
export function consoleOidcRoutes(deps: ConsoleOidcDeps): Router {
  const { lanyard, settings } = deps
  let discovered: Promise<oidc.Configuration> | undefined
  const configuration = () => {
    discovered ??= oidc
      .discovery(new URL(settings.issuer), settings.clientId, undefined, settings.clientSecret === undefined ? oidc.None() : oidc.ClientSecretBasic(settings.clientSecret.reveal()), {
        [oidc.customFetch]: deps.fetch as oidc.CustomFetch,
        ...(deps.allowHttp ? { execute: [oidc.allowInsecureRequests] } : {}),
      })
      .catch((error: unknown) => {
        // Not cached: the next sign-in discovers again.
        discovered = undefined
        throw new ClientUnauthorized({ cause: error, detail: `console.oidc: discovery at ${settings.issuer} failed` })
      })
    return discovered
  }
  const loginCookieOptions = { httpOnly: true, sameSite: 'lax', path: '/console/callback', secure: deps.session.secureCookies, maxAge: loginTtlMs } as const

  const router = Router()
  router.get('/console/login', async (_req, res) => {
    const config = await configuration()
    const verifier = oidc.randomPKCECodeVerifier()
    const state = oidc.randomState()
    const nonce = oidc.randomNonce()
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: settings.redirectUri,
      scope: `openid email ${settings.rolesClaim}`,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    })
    res.cookie(loginCookie, [state, nonce, verifier].join('.'), loginCookieOptions)
    res.setHeader('Cache-Control', 'no-store').redirect(302, url.href)
  })

  router.get('/console/callback', async (req, res) => {
    const [state, nonce, verifier] = (readCookie(req, loginCookie) ?? '').split('.')
    const { maxAge: _maxAge, ...clear } = loginCookieOptions
    res.clearCookie(loginCookie, clear)
    if (!state || !nonce || !verifier) throw new ClientUnauthorized({ detail: 'console callback without a pending login (cookie missing or expired)' })
    const config = await configuration()
    let claims: Readonly<Record<string, unknown>>
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl(req, settings.redirectUri), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true })
      claims = tokens.claims() ?? {}
    } catch (error) {
      throw new ClientUnauthorized({ cause: error, detail: 'console sign-in refused: the provider answer did not verify (state, nonce, code or ID token)' })
    }
    const subject = claims[settings.subjectClaim]
    if (typeof subject !== 'string' || subject.length === 0) throw new ClientUnauthorized({ detail: `console sign-in: the ID token has no "${settings.subjectClaim}" claim` })
    // An email the provider says it did not verify names nobody (absent: enterprise providers
    // that omit it vouch for their directory's addresses).
    if (settings.subjectClaim === 'email' && claims.email_verified === false) throw new ClientUnauthorized({ detail: 'console sign-in: the email in the ID token is not verified' })
    const roles = mapRoles(claims, settings.rolesClaim, settings.roleMap)
    if (roles.length === 0) throw new RoleRequired(['admin', 'responder', 'owner', 'auditor'], { why: `no value of the "${settings.rolesClaim}" claim maps to a role` })
    const name = subject.toLowerCase()
    const caller: Caller = { principal: principalOf(name), subject: name, roles, via: 'oidc' }
    await signIn(lanyard, deps.session, caller, res)
    deps.log.info({ principal: caller.principal, roles }, 'console sign-in')
    res.setHeader('Cache-Control', 'no-store').redirect(302, '/console/')
  })
  return router
}

/** The URL the provider sent the browser to: the registered redirect URI with this request's query. */
function callbackUrl(req: Request, redirectUri: string): URL {
  const url = new URL(redirectUri)
  url.search = new URL(req.originalUrl, url).search
  return url
}
