import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createAesGcmSealer } from './sealer.js'

describe('AES-256-GCM sealer', () => {
  const sealer = createAesGcmSealer(randomBytes(32))

  it('round-trips and never shows the plaintext', () => {
    const sealed = sealer.seal('ghs_secret_token_value', 'grant:1')
    expect(sealed).not.toContain('ghs_secret')
    expect(sealer.open(sealed, 'grant:1')).toBe('ghs_secret_token_value')
  })

  it('uses a fresh data key each time', () => {
    expect(sealer.seal('x', 'c')).not.toBe(sealer.seal('x', 'c'))
  })

  it('refuses a value moved to another record', () => {
    const sealed = sealer.seal('secret', 'grant:1')
    expect(() => sealer.open(sealed, 'grant:2')).toThrow(/failed authentication/)
  })

  it('refuses tampering and another master key', () => {
    const sealed = sealer.seal('secret', 'c')
    const parts = sealed.split('.')
    const body = Buffer.from(parts[3]!, 'base64url')
    body[14] = body[14]! ^ 1
    expect(() => sealer.open([...parts.slice(0, 3), body.toString('base64url')].join('.'), 'c')).toThrow(/failed authentication/)
    expect(() => createAesGcmSealer(randomBytes(32)).open(sealed, 'c')).toThrow(/different master key/)
  })

  it('requires a 32-byte master key', () => {
    expect(() => createAesGcmSealer(randomBytes(16))).toThrow(/32 bytes/)
  })
})
