import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type JWK, type JWTPayload, SignJWT, exportJWK, generateKeyPair } from 'jose'

/**
 * A minimal OIDC issuer on loopback: a discovery document, a JWKS, and a `sign` that mints ID
 * tokens with the current key. What an IAM OIDC provider needs from an identity provider, for
 * tests that drive AssumeRoleWithWebIdentity without a broker.
 */
export interface OidcIssuer {
  readonly url: string
  /** Signs `claims` (iss and iat are filled in; exp defaults to 5 minutes after `now`). */
  sign(claims: JWTPayload, options?: { now?: number; expiresInSeconds?: number }): Promise<string>
  /** Replaces the signing key; the old one leaves the JWKS. */
  rotate(): Promise<void>
  close(): Promise<void>
}

export async function startOidcIssuer(options: { alg?: 'RS256' | 'ES256' } = {}): Promise<OidcIssuer> {
  const alg = options.alg ?? 'ES256'
  let current = await newKey(alg)
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://issuer').pathname
    const body =
      path === '/.well-known/openid-configuration'
        ? { issuer: url, jwks_uri: `${url}/jwks.json`, id_token_signing_alg_values_supported: [alg] }
        : path === '/jwks.json'
          ? { keys: [current.publicJwk] }
          : undefined
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body ?? { error: 'not_found' }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    async sign(claims, { now = Date.now(), expiresInSeconds = 300 } = {}) {
      const iat = Math.floor(now / 1000)
      return new SignJWT(claims)
        .setProtectedHeader({ alg, kid: current.kid, typ: 'JWT' })
        .setIssuer(url)
        .setIssuedAt(iat)
        .setExpirationTime(iat + expiresInSeconds)
        .sign(current.privateKey)
    },
    async rotate() {
      current = await newKey(alg)
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}

async function newKey(alg: string): Promise<{ kid: string; privateKey: CryptoKey; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(alg)
  const kid = crypto.randomUUID()
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } }
}
