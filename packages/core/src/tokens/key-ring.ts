import { exportJWK, generateKeyPair, importJWK, calculateJwkThumbprint, type CryptoKey, type JWK } from 'jose'
import type { Sealer } from '../crypto/sealer.js'
import { ConfigInvalid, LanyardError } from '../errors.js'
import type { Clock } from '../ports/clock.js'
import type { SigningKeyRecord, SigningKeyStore } from '../ports/store/index.js'

/** Algorithms the broker signs with: EdDSA for its own handle tokens, RS256 and ES256 for ID
 * tokens that upstreams verify (AWS STS accepts RSA and EC keys, not Ed25519). */
export type SigningAlg = 'EdDSA' | 'RS256' | 'ES256'
const algorithms: readonly SigningAlg[] = ['EdDSA', 'RS256', 'ES256']

export interface SigningKey {
  readonly kid: string
  readonly alg: SigningAlg
  readonly privateKey: CryptoKey
}

/**
 * The broker's signing keys, kept in the store with private halves sealed under the master key.
 * Generated on first use; rotation adds a new key and retires the old one, which stays in the
 * JWKS for `retainSeconds` (the longest lifetime of anything it signed) and is then dropped.
 */
export interface KeyRing {
  signingKey(alg: SigningAlg): Promise<SigningKey>
  /** Public keys of current and recently retired keys, for `/.well-known/jwks.json`. */
  jwks(): Promise<{ keys: JWK[] }>
  /**
   * Public keys of every signing key this deployment ever had, retired ones included, for
   * verifying revocation receipts, which are evidence kept for longer than any key is
   * published. Nothing but a receipt (`typ` lanyard-receipt+jwt) may be verified against it.
   */
  receiptKeys(): Promise<{ keys: JWK[] }>
  /** Public key by `kid`, reloading from the store once if unknown (another replica rotated). */
  verificationKey(kid: string): Promise<{ alg: SigningAlg; key: CryptoKey } | undefined>
  rotate(alg?: SigningAlg): Promise<SigningKey>
  /**
   * The key check at start: opens every stored private key. Throws ConfigInvalid naming the
   * cause when the store was sealed under another master key, before anything is sealed under
   * the wrong one. An empty store passes; its first key (sealed now) is the check from then on.
   */
  checkMasterKey(source: string): Promise<void>
}

function sealContext(kid: string): string {
  return `signing-key:${kid}`
}

export function createKeyRing(deps: { store: SigningKeyStore; sealer: Sealer; clock: Clock; retainSeconds: number }): KeyRing {
  const { store, sealer, clock } = deps
  let records: SigningKeyRecord[] | undefined
  const privateKeys = new Map<string, CryptoKey>()
  const publicKeys = new Map<string, CryptoKey>()

  async function load(): Promise<SigningKeyRecord[]> {
    records = await store.listSigningKeys()
    return records
  }

  async function generate(alg: SigningAlg): Promise<SigningKeyRecord> {
    const pair = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) })
    const publicJwk = await exportJWK(pair.publicKey)
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256')
    const privateJwk = await exportJWK(pair.privateKey)
    const record: SigningKeyRecord = {
      kid,
      alg,
      publicJwk: { ...(publicJwk as Record<string, string>), kid, alg, use: 'sig' },
      sealedPrivateKey: sealer.seal(JSON.stringify(privateJwk), sealContext(kid)),
      createdAt: clock.now(),
    }
    await store.putSigningKey(record)
    privateKeys.set(kid, pair.privateKey)
    records = [...(records ?? []), record]
    return record
  }

  async function privateKeyOf(record: SigningKeyRecord): Promise<CryptoKey> {
    let key = privateKeys.get(record.kid)
    if (key === undefined) {
      const jwk = JSON.parse(sealer.open(record.sealedPrivateKey, sealContext(record.kid))) as JWK
      key = (await importJWK(jwk, record.alg)) as CryptoKey
      privateKeys.set(record.kid, key)
    }
    return key
  }

  function published(record: SigningKeyRecord, now: Date): boolean {
    return record.retiredAt === undefined || now.getTime() - record.retiredAt.getTime() < deps.retainSeconds * 1000
  }

  let generating: Promise<SigningKeyRecord> | undefined
  async function activeRecord(alg: SigningAlg): Promise<SigningKeyRecord> {
    const current = (records ?? (await load())).filter((r) => r.alg === alg && r.retiredAt === undefined)
    const newest = current.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0]
    if (newest) return newest
    // One generation at a time per process; two replicas racing both publish a key, harmlessly.
    generating ??= generate(alg).finally(() => (generating = undefined))
    return generating
  }

  return {
    async signingKey(alg) {
      const record = await activeRecord(alg)
      return { kid: record.kid, alg, privateKey: await privateKeyOf(record) }
    },
    async jwks() {
      const now = clock.now()
      const all = await load()
      for (const alg of algorithms) if (!all.some((r) => r.alg === alg && r.retiredAt === undefined)) await activeRecord(alg)
      return { keys: (records ?? []).filter((r) => published(r, now)).map((r) => ({ ...r.publicJwk }) as JWK) }
    },
    async receiptKeys() {
      return { keys: (await load()).map((r) => ({ ...r.publicJwk }) as JWK) }
    },
    async verificationKey(kid) {
      let record = (records ?? (await load())).find((r) => r.kid === kid)
      if (record === undefined) record = (await load()).find((r) => r.kid === kid)
      if (record === undefined || !published(record, clock.now())) return undefined
      let key = publicKeys.get(kid)
      if (key === undefined) {
        key = (await importJWK(record.publicJwk as JWK, record.alg)) as CryptoKey
        publicKeys.set(kid, key)
      }
      return { alg: record.alg as SigningAlg, key }
    },
    async checkMasterKey(source) {
      for (const record of await load()) {
        try {
          await privateKeyOf(record)
        } catch (error) {
          const cause = error instanceof Error ? error.message : 'cannot be opened'
          throw new ConfigInvalid([`${source}: the store's signing key ${record.kid} ${cause === 'sealed under a different master key' ? 'was sealed under a different master key: this is not the master key this store was created with' : `cannot be opened (${cause})`}`], error instanceof LanyardError && error.detail !== undefined ? { detail: error.detail } : {})
        }
      }
    },
    async rotate(alg = 'EdDSA') {
      const previous = (await load()).filter((r) => r.alg === alg && r.retiredAt === undefined)
      const next = await generate(alg)
      const now = clock.now()
      for (const old of previous) await store.retireSigningKey(old.kid, now)
      await load()
      return { kid: next.kid, alg, privateKey: await privateKeyOf(next) }
    },
  }
}
