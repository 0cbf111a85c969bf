import { createHash, generateKeyPairSync } from 'node:crypto'
import { SecretValue } from '@lanyard/connector-sdk'
import type { ConnectorInstance, ExchangeCredential, RevokeRequest, ScopeSet } from '@lanyard/connector-sdk'
import { createTestHost } from '@lanyard/connector-sdk/testing'
import type { RecordingHost } from '@lanyard/connector-sdk/testing'
import { startOAuthSandbox } from '@lanyard/sandbox'
import type { OAuthSandbox, OAuthSandboxOptions } from '@lanyard/sandbox'
import { oauthConnector } from '../src/index.js'
import type { OAuthCredential, OAuthTarget } from '../src/index.js'
import { oauthConfig } from '../src/config.js'

/** Opaque tokens: stored by the server, so introspection and revocation see them. */
export const LEDGER = 'https://ledger.example.test/'
/** JWT access tokens: not stored by oidc-provider; valid at resource servers until `exp`. */
export const API = 'https://api.example.test/'
/** Opaque, and serves `read` only: asking it for more shows the server dropping scopes. */
export const NARROW = 'https://narrow.example.test/'
export const OTHER = 'https://other.example.test/'
/** JWT access tokens the server remembers, as Okta and Keycloak do: introspection and RFC 7009 see them. */
export const TRACKED = 'https://tracked.example.test/'

export const secrets = {
  deployBot: '5f0c1e7a9b2d4c6e8f0a1b3c5d7e9f1a-basic-client-secret',
  reportBot: '0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d-post-client-secret',
}

const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
export const keyBotPem = ecKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

export function sandboxOptions(overrides: Partial<OAuthSandboxOptions> = {}): OAuthSandboxOptions {
  return {
    scopes: ['read', 'write', 'admin'],
    resources: {
      [LEDGER]: { scopes: ['read', 'write', 'admin'], accessTokenFormat: 'opaque', accessTokenTtlSeconds: 300 },
      [API]: { scopes: ['read', 'write'], accessTokenTtlSeconds: 300 },
      [NARROW]: { scopes: ['read'], accessTokenFormat: 'opaque', accessTokenTtlSeconds: 300 },
      [OTHER]: { scopes: ['read'], accessTokenFormat: 'opaque' },
      [TRACKED]: { scopes: ['read', 'write'], rememberJwt: true, accessTokenTtlSeconds: 300 },
    },
    clients: [
      { clientId: 'deploy-bot', auth: 'client_secret_basic', clientSecret: secrets.deployBot },
      { clientId: 'report-bot', auth: 'client_secret_post', clientSecret: secrets.reportBot },
      { clientId: 'key-bot', auth: 'private_key_jwt', jwks: { keys: [{ ...ecKey.publicKey.export({ format: 'jwk' }), kid: 'key-bot-1' }] } },
    ],
    ...overrides,
  }
}

/** The system's config as the broker hands it over: secrets already resolved. */
export function systemConfig(sandbox: Pick<OAuthSandbox, 'issuer'>, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuer: sandbox.issuer,
    allowInsecureUpstreamHttp: true,
    clients: [
      { clientId: 'deploy-bot', auth: 'client_secret_basic', clientSecret: new SecretValue(secrets.deployBot) },
      { clientId: 'report-bot', auth: 'client_secret_post', clientSecret: new SecretValue(secrets.reportBot) },
      { clientId: 'key-bot', auth: 'private_key_jwt', privateKey: new SecretValue(keyBotPem), keyId: 'key-bot-1' },
    ],
    ...overrides,
  }
}

/** A clock the test moves by hand. */
export function manualClock(start = new Date()) {
  let now = start.getTime()
  return { now: () => new Date(now), advance: (ms: number) => void (now += ms) }
}

export interface Harness {
  readonly instance: ConnectorInstance<OAuthTarget, OAuthCredential>
  readonly host: RecordingHost
  readonly clock: ReturnType<typeof manualClock>
  issue(clientId: string, scopes: ScopeSet, options?: { maxTtlSeconds?: number; signal?: AbortSignal }): ReturnType<ConnectorInstance<OAuthTarget, OAuthCredential>['issue']>
  revokeRequest(issued: Awaited<ReturnType<Harness['issue']>>, withSecret?: boolean): RevokeRequest
}

let grants = 0

export function harness(config: Record<string, unknown>): Harness {
  const clock = manualClock()
  const host = createTestHost({ system: 'corp-idp', clock, allowInsecureUpstreamHttp: true })
  const instance = oauthConnector.create(oauthConfig.parse(config), host)
  const issuedAt = new Map<object, Date>()
  return {
    instance,
    host,
    clock,
    async issue(clientId, scopes, options = {}) {
      const at = clock.now()
      const issued = await instance.issue(
        {
          grantId: `grant-${++grants}`,
          agent: { handle: 'deploy-bot@agents.acme.test', owner: 'sre@acme.test', tier: 1 },
          target: { clientId },
          scopes,
          maxTtlSeconds: options.maxTtlSeconds ?? 3600,
        },
        options.signal ?? new AbortController().signal,
      )
      issuedAt.set(issued, at)
      return issued
    },
    revokeRequest(issued, withSecret = true) {
      return {
        grantId: 'grant',
        handle: 'deploy-bot@agents.acme.test',
        ref: JSON.parse(JSON.stringify(issued.ref)) as Record<string, unknown>,
        issuedAt: issuedAt.get(issued) ?? clock.now(),
        expiresAt: issued.expiresAt,
        ...(withSecret && issued.revocationSecret !== undefined ? { secret: issued.revocationSecret } : {}),
      }
    },
  }
}

/**
 * Does the credential work at a resource server for every item? What the sandbox's resource
 * server view says, plus, for a DPoP-bound token, that the credential carries the bound key.
 */
export async function works(sandbox: OAuthSandbox, credential: ExchangeCredential, items: ScopeSet): Promise<boolean> {
  const seen = await sandbox.inspect(credential.accessToken)
  if (!seen.active) return false
  if (seen.jkt !== undefined) {
    const jwk = (credential.extra as { dpop_jwk?: { crv: string; kty: string; x: string; y: string } } | undefined)?.dpop_jwk
    // RFC 7638 thumbprint of the key the agent was given, against the one the token is bound to.
    const thumbprint = jwk && createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest('base64url')
    if (thumbprint !== seen.jkt) return false
  }
  return items.every((item) => (item.startsWith('resource:') ? seen.audience.includes(item.slice('resource:'.length)) : seen.scopes.includes(item)))
}

export { startOAuthSandbox }
