import { createHash, randomUUID } from 'node:crypto'
import { SignJWT, base64url, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import type { CryptoKey, JWK } from 'jose'
import { beforeAll, describe, expect, test } from 'vitest'
import { createProofVerifier } from './dpop.js'
import type { ProofRequest } from './dpop.js'

const url = 'https://tickets.acme.test/mcp'
const token = 'header.payload.signature'
const ath = base64url.encode(createHash('sha256').update(token).digest())
let clock = 1_800_000_000

let key: { privateKey: CryptoKey; jwk: JWK; jkt: string }
let other: { privateKey: CryptoKey; jwk: JWK; jkt: string }
async function keyPair() {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = await exportJWK(publicKey)
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) }
}
beforeAll(async () => {
  key = await keyPair()
  other = await keyPair()
})

/** A proof as an honest client signs it; override claims or header to make it wrong. */
function proof(claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, signer = key) {
  return new SignJWT({ htm: 'POST', htu: url, iat: clock, jti: randomUUID(), ath, ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: signer.jwk, ...header })
    .sign(signer.privateKey)
}

const verifier = () => createProofVerifier({ maxAgeSeconds: 60, now: () => clock })
const request = (dpop: string | undefined, over: Partial<ProofRequest> = {}): ProofRequest => ({ proof: dpop, method: 'POST', url, accessToken: token, jkt: key.jkt, ...over })

describe('DPoP proofs at the resource server (RFC 9449 4.3)', () => {
  test('an honest proof of the bound key, for this method, URL and token, passes; the query is not part of htu', async () => {
    const v = verifier()
    await expect(v.verify(request(await proof()))).resolves.toBeUndefined()
    await expect(v.verify(request(await proof(), { url: `${url}?session=1` }))).resolves.toBeUndefined()
  })

  test.each([
    ['missing', async () => undefined, /required/],
    ['two proofs joined', async () => `${await proof()}, ${await proof()}`, /one DPoP proof/],
    ['not a JWS', async () => 'garbage', /not a JWS/],
    ['typ JWT', async () => proof({}, { typ: 'JWT' }), /typ/],
    ['a symmetric algorithm', async () => `${base64url.encode(JSON.stringify({ alg: 'HS256', typ: 'dpop+jwt' }))}.e30.sig`, /algorithm/],
    ['a private key in the header', async () => proof({}, { jwk: { ...key.jwk, d: 'AAAA' } }), /public key/],
    ['signed by a key other than the header names', async () => proof({}, { jwk: other.jwk }), /signature/],
    ['htm of another method', async () => proof({ htm: 'GET' }), /htm/],
    ['htu of another URL', async () => proof({ htu: 'https://tickets.acme.test/other' }), /htu/],
    ['htu of another origin', async () => proof({ htu: 'https://evil.test/mcp' }), /htu/],
    ['iat 61 s old', async () => proof({ iat: clock - 61 }), /iat/],
    ['iat 61 s ahead', async () => proof({ iat: clock + 61 }), /iat/],
    ['no jti', async () => proof({ jti: undefined }), /jti/],
    ['no ath', async () => proof({ ath: undefined }), /ath/],
    ['ath of another token', async () => proof({ ath: base64url.encode(createHash('sha256').update('other.token.x').digest()) }), /ath/],
    ['a proof of another key than the token is bound to', async () => proof({}, {}, other), /another key/],
  ])('refused: %s', async (_name, make, reason) => {
    await expect(verifier().verify(request(await make()))).rejects.toThrow(reason)
  })

  test('a proof is used once within its window; a refused proof does not spend its jti', async () => {
    const v = verifier()
    const jti = randomUUID()
    // Sent first to the wrong URL: refused, and its jti stays unspent.
    await expect(v.verify(request(await proof({ jti }), { url: 'https://tickets.acme.test/other' }))).rejects.toThrow(/htu/)
    const once = await proof({ jti })
    await expect(v.verify(request(once))).resolves.toBeUndefined()
    await expect(v.verify(request(once))).rejects.toThrow(/already used/)
    // A proof of the same jti with a fresh signature is the same proof, replayed.
    await expect(v.verify(request(await proof({ jti })))).rejects.toThrow(/already used/)
  })

  test('replayed jtis are forgotten once stale, when the proof is refused for its age anyway', async () => {
    const v = verifier()
    const stale = await proof()
    await v.verify(request(stale))
    clock += 120
    await expect(v.verify(request(stale))).rejects.toThrow(/iat/)
    await expect(v.verify(request(await proof()))).resolves.toBeUndefined()
  })
})
