import { extendPlatformIssuer, startPlatformIssuer, type PlatformIssuer } from './platform-issuer.js'

export interface SpiffeIssuer extends PlatformIssuer {
  readonly trustDomain: string
  /** A JWT-SVID for `spiffe://<trustDomain><path>` and `audience`, valid `ttlSeconds` (SPIRE's default 300). */
  svid(path: string, audience: string, options?: { ttlSeconds?: number; trustDomain?: string; overrides?: Record<string, unknown> }): Promise<string>
}

/**
 * SPIRE stand-in for JWT-SVIDs: ES256 (SPIRE's default JWT key type), `sub` the SPIFFE ID,
 * `aud` an array, `exp` and `iat`; keys where SPIRE's OIDC discovery provider serves them
 * (`/keys`). `iss` is the discovery URL, as with SPIRE's `jwt_issuer` set to it.
 */
export async function startSpiffeIssuer(options: { trustDomain: string }): Promise<SpiffeIssuer> {
  const base = await startPlatformIssuer({ alg: 'ES256', jwksPath: '/keys' })
  const self: SpiffeIssuer = extendPlatformIssuer(base, {
    trustDomain: options.trustDomain,
    async svid(path: string, audience: string, svidOptions: { ttlSeconds?: number; trustDomain?: string; overrides?: Record<string, unknown> } = {}) {
      const now = Math.floor(Date.now() / 1000)
      const id = `spiffe://${svidOptions.trustDomain ?? options.trustDomain}${path.startsWith('/') ? '' : '/'}${path}`
      return base.sign({ sub: id, aud: [audience], exp: now + (svidOptions.ttlSeconds ?? 300), ...svidOptions.overrides })
    },
  })
  return self
}
