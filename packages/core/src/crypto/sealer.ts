import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { LanyardError } from '../errors.js'

/** Encrypts secrets at rest. `context` is bound as associated data: a sealed value moved to
 * another record (another grant id, another key id) no longer opens. */
export interface Sealer {
  seal(plaintext: string, context: string): string
  open(sealed: string, context: string): string
}

const version = 'v1'

function encrypt(key: Buffer, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(aad))
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')
}

function decrypt(key: Buffer, sealed: string, aad: string): Buffer {
  const raw = Buffer.from(sealed, 'base64url')
  if (raw.length < 28) throw new Error('sealed value is truncated')
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12)).setAAD(Buffer.from(aad))
  decipher.setAuthTag(raw.subarray(raw.length - 16))
  return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()])
}

/**
 * AES-256-GCM envelope: each value gets a fresh data key, itself wrapped under the master key
 * (the key-encryption key). Format `v1.<kek id>.<wrapped data key>.<ciphertext>`; the kek id
 * (first 8 hex of SHA-256 of the master key) tells, after a master-key change, which key sealed
 * what, instead of failing with an opaque tag mismatch.
 */
export function createAesGcmSealer(masterKey: Uint8Array): Sealer {
  if (masterKey.length !== 32) throw new LanyardError('the master key must be 32 bytes (AES-256)')
  const kek = Buffer.from(masterKey)
  const kekId = createHash('sha256').update(kek).digest('hex').slice(0, 8)
  return {
    seal(plaintext, context) {
      const dek = randomBytes(32)
      const wrapped = encrypt(kek, dek, `${version}:${kekId}:dek`)
      return [version, kekId, wrapped, encrypt(dek, Buffer.from(plaintext, 'utf8'), `${version}:${context}`)].join('.')
    },
    open(sealed, context) {
      const [v, id, wrapped, body] = sealed.split('.')
      if (v !== version || wrapped === undefined || body === undefined) throw new LanyardError('sealed value has an unknown format')
      if (id !== kekId) throw new LanyardError('sealed under a different master key', { detail: `sealed with kek ${id}, current kek ${kekId}` })
      try {
        const dek = decrypt(kek, wrapped, `${version}:${kekId}:dek`)
        return decrypt(dek, body, `${version}:${context}`).toString('utf8')
      } catch (cause) {
        throw new LanyardError('sealed value failed authentication', { cause })
      }
    },
  }
}
