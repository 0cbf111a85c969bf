import { createHash } from 'node:crypto'
import { EmbeddedJWK, base64url, calculateJwkThumbprint, decodeProtectedHeader, jwtVerify } from 'jose'
import type { JWK } from 'jose'

/** Asymmetric algorithms a proof may use (RFC 9449 4.3 (5)); announced in the metadata and the `DPoP` challenge. */
export const dpopAlgorithms = ['EdDSA', 'ES256', 'ES384', 'PS256', 'RS256'] as const

/** A proof is longer than any honest one past this: refused before it is parsed. */
const maxProofLength = 8 * 1024

/** Why a proof was refused, in words safe to send (no claim values, no token). */
export class DpopProofRefused extends Error {}

/** What one request says about its proof. */
export interface ProofRequest {
  /** The `DPoP` header; undefined when absent. Two headers arrive joined by ", " and are refused. */
  readonly proof: string | undefined
  readonly method: string
  /** The URL as the client addressed it: the resource's public origin plus the request path. */
  readonly url: string
  /** The access token the proof accompanies: its hash must be the proof's `ath`. */
  readonly accessToken: string
  /** `cnf.jkt` of that token: the proof must be signed by this key. */
  readonly jkt: string
}

export interface ProofVerifier {
  /** Resolves when the proof holds; throws DpopProofRefused otherwise. */
  verify(request: ProofRequest): Promise<void>
}

/** `htu` is compared without query and fragment (RFC 9449 4.3 (9)). */
function withoutQuery(url: string): string | undefined {
  try {
    const parsed = new URL(url)
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`
  } catch {
    return undefined
  }
}

/**
 * Verifies DPoP proofs (RFC 9449 4.3) for DPoP-bound access tokens. Checks, in order: one
 * compact JWS of type `dpop+jwt`; an asymmetric algorithm; a public JWK in its header; the
 * signature (jose); `htm` and `htu` of this request; `iat` within `maxAgeSeconds` either side;
 * `ath` the hash of the presented token; the key's thumbprint the token's `cnf.jkt`; and last
 * the `jti`, used once within the window, so that a proof refused for another reason is not
 * spent. The replay cache is this process's memory: replicas of one MCP server each keep
 * their own, so a proof replayed within the window to another replica is not caught there
 * (its `htu`, `ath` and key still tie it to this token and this resource).
 */
export function createProofVerifier(options: { maxAgeSeconds: number; now: () => number }): ProofVerifier {
  const { maxAgeSeconds, now } = options
  /** `jkt:jti` -> the second after which the proof is stale anyway and may be forgotten. */
  const seen = new Map<string, number>()
  let nextSweep = 0
  const sweep = (at: number) => {
    if (at < nextSweep) return
    nextSweep = at + maxAgeSeconds
    for (const [key, until] of seen) if (until < at) seen.delete(key)
  }

  return {
    async verify(request) {
      const { proof } = request
      if (proof === undefined || proof === '') throw new DpopProofRefused('a DPoP proof is required with a DPoP-bound token')
      if (proof.length > maxProofLength || proof.includes(',')) throw new DpopProofRefused('expected one DPoP proof, a compact JWS')
      let header: ReturnType<typeof decodeProtectedHeader>
      try {
        header = decodeProtectedHeader(proof)
      } catch {
        throw new DpopProofRefused('the DPoP proof is not a JWS')
      }
      if (header.typ !== 'dpop+jwt') throw new DpopProofRefused('the DPoP proof\'s "typ" must be dpop+jwt')
      if (typeof header.alg !== 'string' || !(dpopAlgorithms as readonly string[]).includes(header.alg)) throw new DpopProofRefused('the DPoP proof\'s algorithm is not accepted')
      const jwk = header.jwk as JWK | undefined
      if (jwk === undefined || typeof jwk !== 'object' || 'd' in jwk || 'p' in jwk || 'k' in jwk) throw new DpopProofRefused('the DPoP proof\'s "jwk" must be a public key')
      let payload: Record<string, unknown>
      try {
        payload = (await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...dpopAlgorithms] })).payload
      } catch {
        throw new DpopProofRefused('the DPoP proof\'s signature does not verify against its key')
      }
      if (payload.htm !== request.method) throw new DpopProofRefused('the DPoP proof\'s "htm" is not this request\'s method')
      const htu = typeof payload.htu === 'string' ? withoutQuery(payload.htu) : undefined
      if (htu === undefined || htu !== withoutQuery(request.url)) throw new DpopProofRefused('the DPoP proof\'s "htu" is not this request\'s URL')
      const at = now()
      if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat) || Math.abs(at - payload.iat) > maxAgeSeconds) throw new DpopProofRefused(`the DPoP proof's "iat" must be within ${maxAgeSeconds} s of the server's clock`)
      if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256) throw new DpopProofRefused('the DPoP proof\'s "jti" must be a string of 1-256 characters')
      // RFC 9449 4.3 (12): with an access token, `ath` is required and binds the proof to it.
      if (payload.ath !== base64url.encode(createHash('sha256').update(request.accessToken).digest())) throw new DpopProofRefused('the DPoP proof\'s "ath" is not the hash of the presented token')
      if ((await calculateJwkThumbprint(jwk, 'sha256')) !== request.jkt) throw new DpopProofRefused('the DPoP proof is signed by another key than the one the token is bound to')
      sweep(at)
      const key = `${request.jkt}:${payload.jti}`
      if (seen.has(key)) throw new DpopProofRefused('the DPoP proof\'s "jti" was already used')
      seen.set(key, payload.iat + maxAgeSeconds)
    },
  }
}
