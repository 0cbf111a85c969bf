import { createHash, webcrypto } from 'node:crypto'
import { ScopeWidening, UpstreamRefused, UpstreamUnavailable } from '@lanyard/connector-sdk'
import type { ExchangeCredential, IssueRequest, Issued } from '@lanyard/connector-sdk'
import * as oidc from 'openid-client'
import { upstreamError } from './client.js'
import type { OAuthClient } from './client.js'
import { resourcePrefix, splitItems } from './scopes.js'
import type { OAuthTarget } from './target.js'
import { targetClient } from './target.js'
import { jwtPayload, tokenSha256, whoisIndex } from './whois.js'

/** What the agent receives: an OAuth access token, and with DPoP the key it is bound to. */
export interface OAuthCredential extends ExchangeCredential {
  readonly tokenType: 'Bearer' | 'DPoP'
  /** With DPoP only: the private JWK the token is bound to, for the agent's proofs. */
  readonly extra?: { readonly dpop_jwk: webcrypto.JsonWebKey }
}

/** The stored ref: enough to revoke, confirm and attribute; no part of the token. */
export type OAuthRef = {
  readonly clientId: string
  readonly tokenSha256: string
  readonly jti?: string
  readonly format: 'jwt' | 'opaque'
  /**
   * The server itself knows the token: introspection answered `active` at issue (or, with no
   * introspection endpoint, the token is opaque, so only the server can resolve it). A JWT the
   * server does not track stays valid at resource servers whatever RFC 7009 answers.
   */
  readonly tracked: boolean
  /** RFC 7638 thumbprint of the DPoP key, when the token is sender-constrained. */
  readonly jkt?: string
}

const accessTokenType = 'urn:ietf:params:oauth:token-type:access_token'

/**
 * Client-credentials grant for the narrowed scopes and resources. The token is checked against
 * the request before it is handed out; one that does not match (scopes added or missing, a
 * lifetime beyond the broker's cap, no stated expiry) is revoked where the server allows and
 * refused, so nothing unaccounted reaches the agent.
 */
export async function issue(oauth: OAuthClient, request: IssueRequest<OAuthTarget>, signal: AbortSignal): Promise<Issued<OAuthCredential>> {
  const client = targetClient(oauth, request.target)
  const { scopes, resources } = splitItems(request.scopes)
  if (oauth.config.requireResource && resources.length === 0) {
    // A token without a resource indicator is not audience-restricted: wider than any ceiling
    // that names one. Refused before anything is minted.
    throw new ScopeWidening(`${resourcePrefix}*`, { detail: 'the request names no resource: item and the system sets requireResource' })
  }
  const parameters = new URLSearchParams()
  if (scopes.length > 0) parameters.set('scope', scopes.join(' '))
  for (const resource of resources) parameters.append(oauth.config.resourceParameter, resource)

  const configuration = await oauth.configuration(client, signal)
  const dpopKeys = oauth.config.dpop ? await oidc.randomDPoPKeyPair('ES256', { extractable: true }) : undefined
  const options = dpopKeys ? { DPoP: oidc.getDPoPHandle(configuration, dpopKeys) } : undefined
  const response = await oauth.call('unsent', signal, () => oidc.clientCredentialsGrant(configuration, parameters, options))

  // From here a token exists upstream: whatever goes wrong below, it is revoked (where the
  // server allows) before the error leaves, so no live token goes unaccounted.
  const token = response.access_token
  try {
    if (signal.aborted) throw new UpstreamUnavailable(oauth.system, { detail: 'aborted by the caller' })
    return await checked(oauth, configuration, request, response, signal, dpopKeys)
  } catch (error) {
    await discard(oauth, configuration, token)
    throw upstreamError(oauth.system, error, signal, oauth.host.clock.now())
  }
}

async function checked(
  oauth: OAuthClient,
  configuration: oidc.Configuration,
  request: IssueRequest<OAuthTarget>,
  response: oidc.TokenEndpointResponse,
  signal: AbortSignal,
  dpopKeys: webcrypto.CryptoKeyPair | undefined,
): Promise<Issued<OAuthCredential>> {
  const token = response.access_token
  const now = oauth.host.clock.now()
  const refused = (reason: string) => new UpstreamRefused(oauth.system, reason, { detail: `token sha256 ${tokenSha256(token)} discarded` })

  // The scopes granted must be those asked, by every account the server gives:
  // (1) the token response (RFC 6749 5.1: `scope` may be omitted when identical to the request);
  // (2) a JWT's own claim (RFC 9068 2.2.3: `scope`, or `scp` as some servers write it), absent
  //     meaning none, since servers (oidc-provider among them) omit `scope` when they dropped all;
  // (3) introspection, when the server tracks the token; silent there and in the response, the
  //     server never said it granted anything, which is how oidc-provider answers having
  //     dropped every scope asked.
  // What servers document, and is accepted: (a) scopes the server adds on its own (Keycloak's
  // default client scopes), only those in `extraScopes`; (b) Entra ID's `<resource>/.default`,
  // which asks for the app's configured permissions and never appears in `scp` (its tokens carry
  // `roles`), so it is never "missing"; (c) a token that names no scope in any account, only
  // with `acceptUnscopedTokens`. Anything else added is wider than asked: refused, and revoked.
  const asked = splitItems(request.scopes).scopes
  const extras = new Set(oauth.config.extraScopes)
  const unscoped = oauth.config.acceptUnscopedTokens
  const claims = jwtPayload(token)
  const introspection = await confirm(oauth, configuration, token, signal)
  const accounts: Array<[string, readonly string[] | undefined]> = [
    ['token response', response.scope === undefined ? undefined : splitScope(response.scope)],
    ['JWT scope claim', claims ? jwtScopes(claims, unscoped) : undefined],
    ['introspection', introspectedScopes(introspection, response.scope, unscoped)],
  ]
  for (const [source, granted] of accounts) {
    const differences = granted === undefined ? [] : [
      ...asked.filter((scope) => !granted.includes(scope) && !isEntraDefault(scope)).map((scope) => `"${scope}" missing`),
      ...granted.filter((scope) => !asked.includes(scope) && !extras.has(scope)).map((scope) => `"${scope}" added`),
    ]
    if (differences.length > 0) throw refused(`the server granted other scopes than asked (${source}: ${differences.join(', ')})`)
  }

  const lifetimeSeconds =
    response.expires_in ?? secondsUntil(claims?.['exp'], now) ?? (introspection?.active ? secondsUntil(introspection.exp, now) : undefined)
  if (lifetimeSeconds === undefined) throw refused('the server did not say when the token expires')
  if (lifetimeSeconds > request.maxTtlSeconds) {
    throw refused(`the token lives ${lifetimeSeconds} s, beyond the broker's cap of ${request.maxTtlSeconds} s: shorten the access token lifetime at the server`)
  }

  const format = claims ? 'jwt' : 'opaque'
  const index = whoisIndex(token)
  const jkt = dpopKeys ? await thumbprint(dpopKeys.publicKey) : undefined
  const server = configuration.serverMetadata()
  const ref: OAuthRef = {
    clientId: request.target.clientId,
    tokenSha256: tokenSha256(token),
    ...(index['oauth_jti'] === undefined ? {} : { jti: index['oauth_jti'] }),
    format,
    tracked: introspection === undefined ? format === 'opaque' : introspection.active,
    ...(jkt === undefined ? {} : { jkt }),
  }
  if (!ref.tracked) {
    oauth.host.log.info({ system: oauth.system, tokenSha256: ref.tokenSha256 }, 'the server does not track this token: it cannot be revoked before it expires')
  }
  const credential: OAuthCredential = {
    accessToken: token,
    tokenType: response.token_type === 'dpop' ? 'DPoP' : 'Bearer',
    issuedTokenType: accessTokenType,
    ...(dpopKeys ? { extra: { dpop_jwk: await webcrypto.subtle.exportKey('jwk', dpopKeys.privateKey) } } : {}),
  }
  return {
    credential,
    ref,
    expiresAt: new Date(now.getTime() + lifetimeSeconds * 1000),
    index,
    // Kept (sealed by the broker) only where the server can use it: RFC 7009 and 7662 need the token.
    ...(server.revocation_endpoint || server.introspection_endpoint ? { revocationSecret: token } : {}),
  }
}

/**
 * RFC 7662 at issue, when the server offers it: does the server know this token? Undefined
 * without an introspection endpoint. When asking fails the answer counts as inactive: the grant
 * is recorded as untracked, so its revocation is reported unconfirmed rather than assumed.
 */
async function confirm(oauth: OAuthClient, configuration: oidc.Configuration, token: string, signal: AbortSignal): Promise<oidc.IntrospectionResponse | undefined> {
  if (!configuration.serverMetadata().introspection_endpoint) return undefined
  try {
    return await oauth.call('idempotent', signal, () => oidc.tokenIntrospection(configuration, token, { token_type_hint: 'access_token' }))
  } catch (error) {
    if (signal.aborted) throw error
    oauth.host.log.warn({ system: oauth.system, code: (error as { code?: string }).code }, 'introspection failed at issue; the grant is recorded as untracked')
    return { active: false }
  }
}

/**
 * Best-effort RFC 7009 for a token that will not be handed out. Its own time limit: the
 * caller's signal may be the reason for discarding.
 */
async function discard(oauth: OAuthClient, configuration: oidc.Configuration, token: string): Promise<void> {
  if (!configuration.serverMetadata().revocation_endpoint) return
  const signal = AbortSignal.timeout(oauth.config.timeoutMs)
  try {
    await oauth.call('idempotent', signal, () => oidc.tokenRevocation(configuration, token, { token_type_hint: 'access_token' }))
  } catch {
    oauth.host.log.warn({ system: oauth.system, tokenSha256: tokenSha256(token) }, 'a refused token could not be revoked; it lives until it expires')
  }
}

function secondsUntil(exp: unknown, now: Date): number | undefined {
  return typeof exp === 'number' ? Math.max(0, Math.floor(exp - now.getTime() / 1000)) : undefined
}

/** Undefined when introspection says nothing about scope; `unscoped`: silence is not "none". */
function introspectedScopes(introspection: oidc.IntrospectionResponse | undefined, responseScope: string | undefined, unscoped: boolean): readonly string[] | undefined {
  if (!introspection?.active) return undefined
  if (introspection.scope !== undefined) return splitScope(introspection.scope)
  return responseScope === undefined && !unscoped ? [] : undefined
}

/** Entra ID v2's static-permission scope: `https://graph.microsoft.com/.default`, `api://<id>/.default`. */
function isEntraDefault(scope: string): boolean {
  return scope.endsWith('/.default')
}

function splitScope(scope: string): string[] {
  return scope.split(' ').filter(Boolean)
}

/** The JWT's `scope` or `scp`; neither: none, or unknown (undefined) with `unscoped`. */
function jwtScopes(claims: Record<string, unknown>, unscoped: boolean): readonly string[] | undefined {
  const { scope, scp } = claims
  if (typeof scope === 'string') return splitScope(scope)
  if (Array.isArray(scp)) return scp.filter((item): item is string => typeof item === 'string')
  if (typeof scp === 'string') return splitScope(scp)
  return unscoped ? undefined : []
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of an EC public key. */
async function thumbprint(publicKey: webcrypto.CryptoKey): Promise<string> {
  const { crv, kty, x, y } = await webcrypto.subtle.exportKey('jwk', publicKey)
  return createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url')
}
