import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { EmbeddedJWK, base64url, calculateJwkThumbprint, decodeProtectedHeader, jwtVerify, type JWK } from 'jose'
import { DpopNonceRequired, DpopProofInvalid } from '../errors.js'
import type { Clock } from '../ports/clock.js'
import type { PrimitiveStore } from '../ports/store/index.js'

/** Asymmetric algorithms a proof may use; announced as `dpop_signing_alg_values_supported`. */
export const dpopAlgorithms = ['EdDSA', 'ES256', 'ES384', 'PS256', 'RS256'] as const
/** A proof is fresh within this many seconds of its `iat`, either side: RFC 9449 11.1 leaves it
 * to the server; one minute tolerates the same skew as assertions and keeps the replay cache small. */
export const dpopMaxAgeSeconds = 60
const maxProofLength = 8 * 1024

/** What a request says about its proof: the `DPoP` header, and the method and URL it was sent to. */
export interface DpopRequest {
  /** The `DPoP` header; undefined when absent. Sent twice is malformed (the route joins them). */
  readonly proof: string | undefined
  readonly method: string
  /** The URL as the client addressed it: the broker's public issuer plus the path. */
  readonly url: string
}

/** Broker nonces (RFC 9449 8): stateless, so every replica with the same secret accepts them. */
export interface DpopNonces {
  current(): string
  accepts(nonce: unknown): boolean
}

/**
 * Nonces are an HMAC of a time window: the current and the previous window are accepted, so a
 * nonce lives between `windowSeconds` and twice that. Replicas derive the same secret.
 */
export function createDpopNonces(deps: { secret: Uint8Array; clock: Clock; windowSeconds: number }): DpopNonces {
  const nonceOf = (window: number) => base64url.encode(createHmac('sha256', deps.secret).update(`dpop-nonce:${window}`).digest().subarray(0, 18))
  const windowAt = () => Math.floor(deps.clock.now().getTime() / 1000 / deps.windowSeconds)
  return {
    current: () => nonceOf(windowAt()),
    accepts(nonce) {
      if (typeof nonce !== 'string') return false
      const given = Buffer.from(nonce)
      const now = windowAt()
      return [now, now - 1].some((w) => {
        const expected = Buffer.from(nonceOf(w))
        return expected.length === given.length && timingSafeEqual(expected, given)
      })
    },
  }
}

/** `htu` compared without query and fragment (RFC 9449 4.3 (9)). */
function normaliseUrl(url: string): string | undefined {
  try {
    const parsed = new URL(url)
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`
  } catch {
    return undefined
  }
}

/**
 * Verifies one DPoP proof (RFC 9449 4.3) and returns the thumbprint (`jkt`) of its key. Checks,
 * in order: present and a JWT of type `dpop+jwt`; an asymmetric algorithm; a public JWK in the
 * header; the signature; `htm` and `htu` of this request; `iat` fresh; `ath` when a token is
 * presented with it; the key, when the token is bound; the broker's nonce when it asks; and last
 * the `jti`, remembered through the store so that a proof is used once across replicas. Every
 * refusal is DpopProofInvalid with a reason, or DpopNonceRequired.
 */
export async function verifyDpopProof(
  deps: { store: PrimitiveStore; clock: Clock; nonces?: DpopNonces | undefined },
  request: DpopRequest,
  expect: { jkt?: string | undefined; accessToken?: string | undefined } = {},
): Promise<string> {
  const { proof } = request
  if (proof === undefined || proof === '') throw new DpopProofInvalid('missing', 'a DPoP proof is required for this request')
  if (proof.length > maxProofLength || proof.includes(',')) throw new DpopProofInvalid('malformed', 'expected one compact JWS')
  let header: ReturnType<typeof decodeProtectedHeader>
  try {
    header = decodeProtectedHeader(proof)
  } catch {
    throw new DpopProofInvalid('malformed', 'not a JWS')
  }
  if (header.typ !== 'dpop+jwt') throw new DpopProofInvalid('malformed', '"typ" must be dpop+jwt')
  if (typeof header.alg !== 'string' || !(dpopAlgorithms as readonly string[]).includes(header.alg)) throw new DpopProofInvalid('malformed', `algorithm "${String(header.alg)}" is not accepted`)
  const jwk = header.jwk as JWK | undefined
  if (jwk === undefined || typeof jwk !== 'object' || 'd' in jwk || 'p' in jwk || 'k' in jwk) throw new DpopProofInvalid('malformed', '"jwk" must be a public key')
  let payload: Record<string, unknown>
  try {
    payload = (await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...dpopAlgorithms] })).payload
  } catch {
    throw new DpopProofInvalid('signature', 'the signature does not verify against the embedded key')
  }
  if (payload.htm !== request.method) throw new DpopProofInvalid('method', '"htm" does not match the request method')
  const htu = typeof payload.htu === 'string' ? normaliseUrl(payload.htu) : undefined
  if (htu === undefined || htu !== normaliseUrl(request.url)) throw new DpopProofInvalid('url', '"htu" does not match the request URL')
  const now = deps.clock.now().getTime() / 1000
  if (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > dpopMaxAgeSeconds) throw new DpopProofInvalid('stale', `"iat" must be within ${dpopMaxAgeSeconds} s of the broker's clock`)
  if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256) throw new DpopProofInvalid('malformed', '"jti" must be a string of 1-256 characters')
  if (expect.accessToken !== undefined && payload.ath !== undefined && payload.ath !== base64url.encode(createHash('sha256').update(expect.accessToken).digest())) {
    throw new DpopProofInvalid('token-hash', '"ath" is not the hash of the presented token')
  }
  const jkt = await calculateJwkThumbprint(jwk, 'sha256')
  if (expect.jkt !== undefined && jkt !== expect.jkt) throw new DpopProofInvalid('other-key', 'signed by another key than the one the token is bound to')
  if (deps.nonces !== undefined && !deps.nonces.accepts(payload.nonce)) throw new DpopNonceRequired(deps.nonces.current())
  // Last: a proof refused for any other reason does not spend its jti.
  const first = await deps.store.useOnce(`dpop:${jkt}:${payload.jti}`, new Date((payload.iat + dpopMaxAgeSeconds + 1) * 1000), deps.clock.now())
  if (!first) throw new DpopProofInvalid('replayed', '"jti" was already used')
  return jkt
}
