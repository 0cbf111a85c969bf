import { calculateJwkThumbprint, importJWK, type JWK } from 'jose'
import { KeyInvalid } from '../errors.js'
import type { AgentKey } from './agent.js'

const publicMembers: Record<string, readonly string[]> = { OKP: ['kty', 'crv', 'x'], EC: ['kty', 'crv', 'x', 'y'] }

/**
 * Checks a public JWK an agent will sign assertions with: Ed25519 (EdDSA) or P-256 (ES256), no
 * private members. Keeps only the public members; `kid` is the RFC 7638 thumbprint, so the same
 * key always gets the same id whatever `kid` the caller sent.
 */
export async function parseAgentKey(handle: string, input: unknown, createdAt: Date): Promise<AgentKey> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new KeyInvalid('expected a JWK object')
  const jwk = input as Record<string, unknown>
  if ('d' in jwk || 'p' in jwk || 'k' in jwk) throw new KeyInvalid('the JWK holds private key material; register the public key only')
  const alg = jwk.kty === 'OKP' && jwk.crv === 'Ed25519' ? 'EdDSA' : jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : undefined
  if (alg === undefined) throw new KeyInvalid('only Ed25519 (OKP) and P-256 (EC) public keys are accepted')
  if (jwk.alg !== undefined && jwk.alg !== alg) throw new KeyInvalid(`"alg" ${String(jwk.alg)} does not match the key type (${alg})`)
  const members = publicMembers[jwk.kty as string] ?? []
  const publicJwk: Record<string, string> = {}
  for (const member of members) {
    const value = jwk[member]
    if (typeof value !== 'string' || value.length === 0) throw new KeyInvalid(`member "${member}" is missing`)
    publicJwk[member] = value
  }
  try {
    await importJWK(publicJwk as JWK, alg)
  } catch (cause) {
    throw new KeyInvalid('the key does not decode to a valid public key', { cause })
  }
  const kid = await calculateJwkThumbprint(publicJwk as JWK, 'sha256')
  return { handle, kid, alg, jwk: publicJwk, createdAt }
}
