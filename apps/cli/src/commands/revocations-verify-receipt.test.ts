import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose'
import type { JSONWebKeySet } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ReceiptClaims } from '../admin-wire.js'
import { receiptJws, verifyReceipt } from './revocations-verify-receipt.js'

const issuer = 'https://lanyard.test'
let privateKey: CryptoKey
let kid: string
let jwks: JSONWebKeySet

beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  privateKey = pair.privateKey
  const jwk = await exportJWK(pair.publicKey)
  kid = await calculateJwkThumbprint(jwk, 'sha256')
  jwks = { keys: [{ ...jwk, kid, alg: 'EdDSA', use: 'sig' }] }
})

/** A receipt as the broker writes it: one grant proven dead, one that dies at its expiry. */
const claims = (): ReceiptClaims => ({
  revocation: { id: 'rev-1', scope: { kind: 'agent', handle: 'a@x.dev' }, reason: 'key leaked', actor: 'admin:root', created_at: '2030-01-01T00:00:00.000Z', finished_at: '2030-01-01T00:00:02.000Z' },
  grants: [
    { grant_id: 'g1', system: 'github-acme', outcome: 'revoked', proof: 'dead', expires_at: '2030-01-01T01:00:00.000Z', dead_at: '2030-01-01T00:00:02.000Z' },
    { grant_id: 'g2', system: 'aws-prod', outcome: 'unrevocable-until', expires_at: '2030-01-01T00:30:00.000Z', dead_at: '2030-01-01T00:30:00.000Z' },
  ],
  summary: { provably_dead: 1, revoked_unproven: 0, dead_by_expiry: 1, failed: 0 },
  full_dark_at: '2030-01-01T00:30:00.000Z',
})

function sign(body: ReceiptClaims, header: { typ?: string; kid?: string } = {}, iss = issuer): Promise<string> {
  return new SignJWT({ ...body })
    .setProtectedHeader({ alg: 'EdDSA', kid: header.kid ?? kid, typ: header.typ ?? 'lanyard-receipt+jwt' })
    .setIssuer(iss)
    .setSubject(body.revocation.id)
    .setIssuedAt()
    .sign(privateKey)
}

describe('verifyReceipt', () => {
  it('returns the claims of a receipt signed by a JWKS key, with who signed it and whether the issuer was checked', async () => {
    const verified = await verifyReceipt(await sign(claims()), jwks, issuer)
    expect(verified).toMatchObject({ verified: true, issuer, issuer_checked: true, kid, alg: 'EdDSA', claims: claims() })
    expect((await verifyReceipt(await sign(claims()), jwks, undefined)).issuer_checked).toBe(false)
  })

  it('refuses a receipt whose claims were changed after signing (an earlier full dark)', async () => {
    const [header, , signature] = (await sign(claims())).split('.')
    const forged = Buffer.from(JSON.stringify({ ...claims(), full_dark_at: '2030-01-01T00:00:02.000Z', iss: issuer, sub: 'rev-1' })).toString('base64url')
    await expect(verifyReceipt(`${header}.${forged}.${signature}`, jwks, issuer)).rejects.toThrow(/^receipt does not verify: .*\(ERR_JWS_SIGNATURE_VERIFICATION_FAILED\)$/)
  })

  it('refuses another typ (e.g. a handle token), another issuer and a key not in the JWKS', async () => {
    await expect(verifyReceipt(await sign(claims(), { typ: 'JWT' }), jwks, issuer)).rejects.toThrow(/typ.*\(ERR_JWT_CLAIM_VALIDATION_FAILED\)$/)
    await expect(verifyReceipt(await sign(claims(), {}, 'https://evil.test'), jwks, issuer)).rejects.toThrow(/iss.*\(ERR_JWT_CLAIM_VALIDATION_FAILED\)$/)
    await expect(verifyReceipt(await sign(claims(), { kid: 'rotated-out' }), jwks, issuer)).rejects.toThrow(/\(ERR_JWKS_NO_MATCHING_KEY\); the key is not among those given: another broker, or a JWKS saved before the key was made$/)
  })

  it('refuses a signed receipt whose summary or full-dark time does not follow from its lines', async () => {
    const early = { ...claims(), full_dark_at: '2030-01-01T00:00:02.000Z' }
    await expect(verifyReceipt(await sign(early), jwks, issuer)).rejects.toThrow('receipt is signed but inconsistent: full_dark_at is 2030-01-01T00:00:02.000Z, its lines say 2030-01-01T00:30:00.000Z')
    const bragging = { ...claims(), summary: { provably_dead: 2, revoked_unproven: 0, dead_by_expiry: 0, failed: 0 } }
    await expect(verifyReceipt(await sign(bragging), jwks, issuer)).rejects.toThrow('receipt is signed but inconsistent: summary.provably_dead is 2, its lines say 1')
  })
})

describe('receiptJws', () => {
  it('takes the compact JWS, or finds it in the JSON of `revocations show --receipt --json` and of `revoke --wait --json`', () => {
    const jws = 'eyJh.eyJi.c2ln'
    expect(receiptJws(`${jws}\n`)).toBe(jws)
    expect(receiptJws(JSON.stringify({ receipt: jws, full_dark_at: 'x' }))).toBe(jws)
    expect(receiptJws(JSON.stringify({ agent: {}, receipt: { receipt: jws } }))).toBe(jws)
    expect(() => receiptJws('{"events": []}')).toThrow(/no "receipt" member/)
    expect(() => receiptJws('not a receipt')).toThrow(/expected a compact JWS/)
  })
})
