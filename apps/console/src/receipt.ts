import { createRemoteJWKSet, jwtVerify } from 'jose'

/** JOSE `typ` of a revocation receipt (packages/core/src/revocation/receipt.ts). */
const receiptType = 'lanyard-receipt+jwt'

export interface ReceiptVerdict {
  readonly ok: boolean
  readonly detail: string
}

/**
 * Checks a receipt here in the browser, with jose: its signature against the broker's receipt
 * keys (/.well-known/lanyard-receipt-keys.json), its `typ`, and the issuer the broker announces.
 */
export async function verifyReceipt(jws: string): Promise<ReceiptVerdict> {
  try {
    const discovery = (await (await fetch('/.well-known/openid-configuration')).json()) as { issuer: string }
    const keys = createRemoteJWKSet(new URL('/.well-known/lanyard-receipt-keys.json', window.location.origin))
    const { protectedHeader } = await jwtVerify(jws, keys, { typ: receiptType, issuer: discovery.issuer, algorithms: ['EdDSA', 'ES256', 'RS256'] })
    return { ok: true, detail: `signature verified (${protectedHeader.alg}, key ${protectedHeader.kid ?? '?'}), issuer ${discovery.issuer}` }
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) }
  }
}
