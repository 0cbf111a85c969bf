import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../testing/fake-clock.js'
import type { Store } from '../ports/store/index.js'
import { createDpopNonces, verifyDpopProof } from './dpop.js'

const url = 'https://lanyard.test/oauth/token'

/** The one store method proofs use: a replay cache in a Map. */
function onceStore(): Store {
  const seen = new Set<string>()
  return { useOnce: async (key: string) => (seen.has(key) ? false : (seen.add(key), true)) } as unknown as Store
}

async function prover(clock: FakeClock) {
  const { privateKey, publicKey } = await generateKeyPair('ES256')
  const jwk = await exportJWK(publicKey)
  return {
    jkt: await calculateJwkThumbprint(jwk),
    proof: (claims: Record<string, unknown> = {}) =>
      new SignJWT({ htm: 'POST', htu: url, iat: Math.floor(clock.now().getTime() / 1000), jti: crypto.randomUUID(), ...claims }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).sign(privateKey),
  }
}

describe('verifyDpopProof', () => {
  it('returns the key thumbprint, once per jti', async () => {
    const clock = new FakeClock()
    const store = onceStore()
    const key = await prover(clock)
    const proof = await key.proof()
    await expect(verifyDpopProof({ store, clock }, { proof, method: 'POST', url })).resolves.toBe(key.jkt)
    await expect(verifyDpopProof({ store, clock }, { proof, method: 'POST', url })).rejects.toMatchObject({ code: 'ERR_DPOP_PROOF_INVALID', reason: 'replayed' })
  })

  it('checks the bound key and the token hash before spending the jti', async () => {
    const clock = new FakeClock()
    const store = onceStore()
    const key = await prover(clock)
    const proof = await key.proof({ ath: 'not-the-hash' })
    await expect(verifyDpopProof({ store, clock }, { proof, method: 'POST', url }, { jkt: 'other', accessToken: 'tok' })).rejects.toMatchObject({ reason: 'token-hash' })
    const fresh = await key.proof()
    await expect(verifyDpopProof({ store, clock }, { proof: fresh, method: 'POST', url }, { jkt: 'other' })).rejects.toMatchObject({ reason: 'other-key' })
    await expect(verifyDpopProof({ store, clock }, { proof: fresh, method: 'POST', url }, { jkt: key.jkt })).resolves.toBe(key.jkt)
  })

  it('asks for the broker nonce, and accepts it for two windows only', async () => {
    const clock = new FakeClock()
    const nonces = createDpopNonces({ secret: new Uint8Array(32).fill(7), clock, windowSeconds: 300 })
    const key = await prover(clock)
    await expect(verifyDpopProof({ store: onceStore(), clock, nonces }, { proof: await key.proof(), method: 'POST', url })).rejects.toMatchObject({ code: 'ERR_DPOP_NONCE_REQUIRED', nonce: nonces.current() })
    const nonce = nonces.current()
    expect(nonces.accepts(nonce)).toBe(true)
    clock.advance(300_000)
    expect(nonces.accepts(nonce)).toBe(true)
    clock.advance(300_000)
    expect(nonces.accepts(nonce)).toBe(false)
    expect(createDpopNonces({ secret: new Uint8Array(32).fill(8), clock, windowSeconds: 300 }).accepts(nonces.current())).toBe(false)
  })
})
