import { SignJWT, base64url, exportJWK, generateKeyPair } from 'jose'
import type { JWK } from 'jose'

/** Signs DPoP proofs (RFC 9449 §4.2) with one key, made when first needed and never leaving memory. */
export interface DpopProver {
  proof(method: string, url: string, options?: { nonce?: string | undefined; accessToken?: string | undefined }): Promise<string>
}

/**
 * A fresh ES256 key per client: its private half is non-extractable, so nothing, not even this
 * process's own code, can copy it out; a handle token bound to it is useless anywhere else.
 */
export function createDpopProver(now: () => Date): DpopProver {
  let key: Promise<{ privateKey: CryptoKey; jwk: JWK }> | undefined
  const keyPair = () =>
    (key ??= generateKeyPair('ES256', { extractable: false }).then(async ({ privateKey, publicKey }) => {
      const { kty, crv, x, y } = await exportJWK(publicKey)
      return { privateKey, jwk: { kty, crv, x, y } as JWK }
    }))
  return {
    async proof(method, url, options = {}) {
      const { privateKey, jwk } = await keyPair()
      const target = new URL(url)
      const claims: Record<string, unknown> = { htm: method, htu: `${target.origin}${target.pathname}` }
      if (options.nonce !== undefined) claims.nonce = options.nonce
      // RFC 9449 §4.2: `ath` binds the proof to the token it accompanies.
      if (options.accessToken !== undefined) claims.ath = base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(options.accessToken))))
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .setIssuedAt(Math.floor(now().getTime() / 1000))
        .setJti(crypto.randomUUID())
        .sign(privateKey)
    },
  }
}
