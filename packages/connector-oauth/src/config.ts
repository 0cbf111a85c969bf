import { isSecretValue, secret } from '@lanyard/connector-sdk'
import { z } from 'zod'
import { parsePrivateKey } from './client.js'

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' })

const secretClient = z
  .object({
    /** client_id at the authorization server; a binding's target names it. */
    clientId: z.string().min(1),
    auth: z.enum(['client_secret_basic', 'client_secret_post']),
    clientSecret: secret(),
  })
  .strict()

const keyClient = z
  .object({
    clientId: z.string().min(1),
    auth: z.literal('private_key_jwt'),
    /** PKCS#8 PEM or a private JWK (JSON). Imported once, non-extractable. */
    privateKey: secret(),
    /** `kid` of the assertion header, when the server has more than one key for the client. */
    keyId: z.string().min(1).optional(),
    /** Needed only for RSA keys signed with PS256; other keys imply their algorithm. */
    alg: z.enum(['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA']).optional(),
  })
  .strict()

/** Fields of an `oauth` system in lanyard.yaml (under systems[], minus `name` and `type`). */
export const oauthConfig = z
  .object({
    /** Issuer identifier. Metadata comes from discovery unless `endpoints` is given. */
    issuer: httpUrl,
    /** `openid`: /.well-known/openid-configuration; `rfc8414`: /.well-known/oauth-authorization-server. */
    discovery: z.enum(['openid', 'rfc8414']).default('openid'),
    /** Explicit endpoints: no discovery. Without revocation, grants are unrevocable until they expire. */
    endpoints: z
      .object({ token: httpUrl, revocation: httpUrl.optional(), introspection: httpUrl.optional() })
      .strict()
      .optional(),
    clients: z.array(z.discriminatedUnion('auth', [secretClient, keyClient])).min(1),
    /** Scope names the server knows; omitted = any well-formed scope token. */
    scopes: z.array(z.string().min(1)).optional(),
    /**
     * Scopes the server adds to every token on its own and that grant no access a ceiling
     * controls (Keycloak's default client scopes: `profile`, `email`, `roles`, `web-origins`,
     * `acr`, `basic`). A token may carry them unasked; any other scope it adds is refused. Never
     * a name of `scopes`: an allow-listed name cannot be one a ceiling grants or withholds.
     */
    extraScopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, { message: 'expected an RFC 6749 scope token' })).default([]),
    /**
     * Accept a token that names no scope anywhere (no `scope` in the response, the JWT or
     * introspection). Off by default: silence is read as "granted nothing asked" and refused.
     * On for servers that never say (some Entra ID and Auth0 set-ups): the ceiling then rests on
     * the server's own client registration.
     */
    acceptUnscopedTokens: z.boolean().default(false),
    /**
     * Every token names at least one `resource:` item (RFC 8707), so none is minted for the
     * server's default audience. Default true; false for servers without resource indicators.
     */
    requireResource: z.boolean().default(true),
    /** RFC 8707 `resource` (default), or `audience` for servers that use that parameter instead (Auth0). */
    resourceParameter: z.enum(['resource', 'audience']).default('resource'),
    /**
     * How this system's resource servers accept a JWT access token, which decides what a revoke
     * can honestly report for one (opaque tokens always depend on the server):
     * `local-jwt` (default): they validate its signature and `exp` alone, so nothing the server
     *   does stops it: `unrevocable-until` its `exp`, even where RFC 7009 succeeded;
     * `introspect`: they ask the server's RFC 7662 endpoint on every use: `revoked` once
     *   introspection says inactive;
     * `events`: they consume Lanyard's revocation webhooks and refuse the agent's tokens from
     *   then on: `revoked` once the server was asked to revoke.
     */
    resourceServers: z.enum(['local-jwt', 'introspect', 'events']).default('local-jwt'),
    /** Sender-constrain tokens with DPoP (RFC 9449): a fresh key per grant, handed to the agent. */
    dpop: z.boolean().default(false),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    /** Plain-http upstream. For the sandbox only: the broker refuses it elsewhere. */
    allowInsecureUpstreamHttp: z.boolean().default(false),
  })
  .strict()
  .superRefine((config, ctx) => {
    const ids = new Set<string>()
    config.clients.forEach((client, i) => {
      if (ids.has(client.clientId)) ctx.addIssue({ code: 'custom', path: ['clients', i, 'clientId'], message: `duplicate client "${client.clientId}"` })
      ids.add(client.clientId)
      // Parsed at load, so a wrong key fails at start naming its field, not at the first exchange.
      if (client.auth === 'private_key_jwt' && isSecretValue(client.privateKey)) {
        try {
          parsePrivateKey(client.privateKey.reveal())
        } catch (error) {
          ctx.addIssue({ code: 'custom', path: ['clients', i, 'privateKey'], message: (error as Error).message })
        }
      }
    })
    config.extraScopes.forEach((scope, i) => {
      if (config.scopes?.includes(scope)) ctx.addIssue({ code: 'custom', path: ['extraScopes', i], message: `"${scope}" is in scopes: an extra scope must be one no ceiling can grant` })
    })
    if (!config.allowInsecureUpstreamHttp) {
      const urls = [['issuer', config.issuer], ...Object.entries(config.endpoints ?? {}).map(([k, v]) => [`endpoints.${k}`, v])]
      for (const [path, url] of urls) {
        if (url?.startsWith('http:')) {
          ctx.addIssue({ code: 'custom', path: path!.split('.'), message: 'plain http needs allowInsecureUpstreamHttp (sandbox only)' })
        }
      }
    }
  })

export type OAuthConfig = z.output<typeof oauthConfig>
export type OAuthClientConfig = OAuthConfig['clients'][number]
