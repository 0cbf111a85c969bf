import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'
import Provider from 'oidc-provider'

/** A person who can sign in: `sub`, and the claims their ID token carries. */
export interface SignInUser {
  readonly email: string
  /** The `groups` claim (or whatever claim the relying party maps to roles). */
  readonly groups: readonly string[]
}

export interface SignInSandboxOptions {
  /** Confidential web clients (client_secret_basic), authorization code + PKCE only. */
  readonly clients: ReadonlyArray<{ readonly clientId: string; readonly clientSecret: string; readonly redirectUris: readonly string[] }>
  /** By account id (`sub`). */
  readonly users: Readonly<Record<string, SignInUser>>
}

export interface SignInSandbox {
  /** `http://127.0.0.1:PORT`; discovery at `${issuer}/.well-known/openid-configuration`. */
  readonly issuer: string
  /**
   * Who signs in at the next login page: the stand-in's stand-in for a person typing their
   * password. Until set, every login is refused (`access_denied` back to the client).
   */
  signInAs(accountId: string | undefined): void
  close(): Promise<void>
}

/**
 * An OpenID Provider for sign-in (oidc-provider, a certified OP): authorization code with PKCE
 * (S256, required), client secrets checked, redirect URIs matched exactly, ID tokens signed
 * RS256 carrying `email` and `groups` (scopes `email`, `groups`). Its login page signs in the
 * account chosen with `signInAs`; the rest is oidc-provider's own behaviour, configured, never
 * patched.
 */
export async function startSignInSandbox(options: SignInSandboxOptions): Promise<SignInSandbox> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const jwk = { ...(await exportJWK(privateKey)), kid: 'sign-in-rs256', alg: 'RS256', use: 'sig' }
  let next: string | undefined
  let provider: Provider | undefined

  const server = createServer((req, res) => {
    const p = provider!
    // (1) The login page: sign the chosen account in and grant what was asked; or refuse.
    if (req.url?.startsWith('/interaction/')) {
      void (async () => {
        const details = (await p.interactionDetails(req, res)) as { params: { client_id: string; scope: string } }
        const user = next === undefined ? undefined : options.users[next]
        if (next === undefined || user === undefined) {
          await p.interactionFinished(req, res, { error: 'access_denied', error_description: 'no one signed in' }, { mergeWithLastSubmission: false })
          return
        }
        const grant = new p.Grant({ accountId: next, clientId: details.params.client_id })
        grant.addOIDCScope(details.params.scope)
        await p.interactionFinished(req, res, { login: { accountId: next }, consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: false })
      })().catch(() => {
        res.statusCode = 500
        res.end()
      })
      return
    }
    // (2) Everything else is the provider.
    p.callback()(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      client_id: c.clientId, client_secret: c.clientSecret, redirect_uris: [...c.redirectUris], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'email', 'groups'],
    claims: { email: ['email'], groups: ['groups'] },
    // The ID token carries the scope's claims, as enterprise providers configure for groups.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AuthorizationCode: 60, AccessToken: 600, IdToken: 600 },
    features: { devInteractions: { enabled: false } },
    findAccount: async (_ctx: unknown, sub: string) => {
      const user = options.users[sub]
      return user === undefined ? undefined : { accountId: sub, claims: async () => ({ sub, email: user.email, groups: [...user.groups] }) }
    },
  })

  return {
    issuer,
    signInAs(accountId) {
      next = accountId
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
