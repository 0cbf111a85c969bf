import { calculateJwkThumbprint, exportJWK, importJWK } from 'jose'
import type { JWK } from 'jose'

/** The agent's private key, ready to sign assertions. */
export interface AgentKey {
  alg: 'EdDSA' | 'ES256'
  /** RFC 7638 thumbprint of the public key: the `kid` the broker registered it under. */
  kid: string
  key: CryptoKey | Uint8Array
}

/**
 * The JWS algorithm for a private Ed25519 or P-256 key. Synchronous so that a wrong key fails
 * where the client is created. Throws TypeError naming what is wrong, never the key.
 */
export function signingAlgorithm(privateKey: JWK | CryptoKey): AgentKey['alg'] {
  if (isCryptoKey(privateKey)) {
    if (privateKey.type !== 'private') throw new TypeError('privateKey must be a private key')
    const { algorithm } = privateKey
    if (algorithm.name === 'Ed25519') return 'EdDSA'
    if (algorithm.name === 'ECDSA' && (algorithm as EcKeyAlgorithm).namedCurve === 'P-256') return 'ES256'
    throw new TypeError(`unsupported key algorithm ${algorithm.name}: use Ed25519 or ECDSA P-256`)
  }
  if (typeof privateKey.d !== 'string') throw new TypeError('privateKey must be a private JWK (it has no "d" member)')
  if (privateKey.kty === 'OKP' && privateKey.crv === 'Ed25519') return 'EdDSA'
  if (privateKey.kty === 'EC' && privateKey.crv === 'P-256') return 'ES256'
  throw new TypeError(`unsupported key type ${String(privateKey.kty)}/${String(privateKey.crv)}: use Ed25519 (OKP) or P-256 (EC)`)
}

/**
 * Imports the key and derives the `kid`. A non-extractable CryptoKey cannot give its public
 * half, so it needs `kid` passed explicitly.
 */
export async function loadAgentKey(privateKey: JWK | CryptoKey, kid?: string): Promise<AgentKey> {
  const alg = signingAlgorithm(privateKey)
  if (isCryptoKey(privateKey)) {
    if (kid !== undefined) return { alg, kid, key: privateKey }
    if (!privateKey.extractable) throw new TypeError('a non-extractable CryptoKey needs the `kid` option (the RFC 7638 thumbprint of its public key)')
    return { alg, kid: await thumbprint(await exportJWK(privateKey)), key: privateKey }
  }
  return { alg, kid: kid ?? (await thumbprint(privateKey)), key: await importJWK(privateKey, alg) }
}

function isCryptoKey(value: JWK | CryptoKey): value is CryptoKey {
  return typeof (value as CryptoKey).algorithm === 'object' && typeof (value as CryptoKey).type === 'string'
}

/** RFC 7638 hashes the required public members only (crv, kty, x[, y]); `d` is never read. */
function thumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256')
}
