import { createHash, randomUUID } from 'node:crypto'
import { SignJWT, base64url, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose'

/** A DPoP key an agent holds, and proofs signed with it; override claims or header to forge. */
export interface DpopKey {
  readonly jwk: JWK
  readonly privateKey: CryptoKey
  proof(htu: string, claims?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>
}

export async function newDpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const jwk = await exportJWK(publicKey)
  return {
    jwk,
    privateKey,
    proof: (htu, claims = {}, header = {}) =>
      new SignJWT({ htm: 'POST', htu, iat: Math.floor(Date.now() / 1000), jti: randomUUID(), ...claims }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk, ...header }).sign(privateKey),
  }
}

/** RFC 9449 `ath`: the hash of the token a proof accompanies. */
export function accessTokenHash(token: string): string {
  return base64url.encode(createHash('sha256').update(token).digest())
}
