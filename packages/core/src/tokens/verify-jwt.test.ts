import { SignJWT, generateKeyPair } from 'jose'
import type { CryptoKey } from 'jose'
import { beforeAll, describe, expect, test } from 'vitest'
import { FakeClock } from '../testing/fake-clock.js'
import type { KeyRing, SigningAlg } from './key-ring.js'
import { signJwt } from './sign-jwt.js'
import { verifyBrokerJwt, type BrokerJwtKind } from './verify-jwt.js'

const issuer = 'https://lanyard.test'
const clock = new FakeClock(new Date('2026-12-04T10:00:00Z'))
const pairs = new Map<SigningAlg, { privateKey: CryptoKey; publicKey: CryptoKey }>()

/** The two members signing and verifying use: one key per algorithm, kid = the algorithm. */
const keys = {
  async signingKey(alg: SigningAlg) {
    return { kid: alg, alg, privateKey: pairs.get(alg)!.privateKey }
  },
  async verificationKey(kid: string) {
    const pair = pairs.get(kid as SigningAlg)
    return pair === undefined ? undefined : { alg: kid as SigningAlg, key: pair.publicKey }
  },
} as unknown as KeyRing

beforeAll(async () => {
  for (const alg of ['EdDSA', 'ES256'] as const) pairs.set(alg, await generateKeyPair(alg))
})

const kind: BrokerJwtKind = { typ: 'kind+jwt', otherTypeReason: 'not this kind', algorithms: ['EdDSA'], issuer, audience: issuer, requiredClaims: ['sub', 'exp', 'iat', 'jti'] }
const sign = (over: { alg?: SigningAlg; typ?: string; audience?: string; expiresAt?: Date } = {}) =>
  signJwt(keys, { alg: over.alg ?? 'EdDSA', typ: over.typ ?? 'kind+jwt' }, { issuer, subject: 'bot@agents.test', audience: over.audience ?? issuer, issuedAt: clock.now(), expiresAt: over.expiresAt ?? new Date(clock.now().getTime() + 60_000), jti: 'j-1' })

describe('verifyBrokerJwt', () => {
  test('a JWT of this kind, signed by a published key of its algorithm, verifies', async () => {
    expect(await verifyBrokerJwt(keys, clock, kind, await sign())).toMatchObject({ sub: 'bot@agents.test', jti: 'j-1', iss: issuer })
  })

  test.each([
    ['another typ', () => sign({ typ: 'other+jwt' }), 'not this kind'],
    ['a key of another algorithm', () => sign({ alg: 'ES256' }), 'signed by a key this broker does not publish'],
    ['a kid this broker does not publish', async () => new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', typ: 'kind+jwt', kid: 'unknown' }).sign(pairs.get('EdDSA')!.privateKey), 'signed by a key this broker does not publish'],
    ['another audience', () => sign({ audience: 'https://elsewhere.test' }), 'claim "aud" is invalid'],
    ['expired', () => sign({ expiresAt: new Date(clock.now().getTime() - 1_000) }), 'expired'],
    ['not a JWS', async () => 'garbage', 'malformed token'],
    ['a forged signature', async () => `${(await sign()).slice(0, -6)}AAAAAA`, 'signature or format is invalid'],
  ])('refused with a reason: %s', async (_name, make, reason) => {
    await expect(verifyBrokerJwt(keys, clock, kind, await make())).rejects.toMatchObject({ code: 'ERR_TOKEN_INVALID', reason })
  })
})
