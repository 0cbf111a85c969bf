import { beforeEach, describe, expect, it } from 'vitest'
import type { Store } from '../../ports/store/index.js'
import type { FakeClock } from '../fake-clock.js'
import { newSigningKey } from '../store-fixtures.js'
import type { StoreKit } from './kit.js'

/** Signing keys: SigningKeyStore. */
export function signingKeyCases(kit: StoreKit): void {
  describe('signing keys', () => {
    let store: Store
    let clock: FakeClock
    beforeEach(() => {
      store = kit.store
      clock = kit.clock
    })

    it('putSigningKey is idempotent on kid; retireSigningKey marks a key retired and keeps it listed', async () => {
      const first = newSigningKey(clock)
      clock.advance(1_000)
      const second = newSigningKey(clock)
      await store.putSigningKey(first)
      await store.putSigningKey(second)
      await store.putSigningKey(first)
      const listed = async () => [...(await store.listSigningKeys())].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      expect(await listed()).toEqual([first, second])
      const at = clock.advance(5_000)
      await store.retireSigningKey(first.kid, at)
      expect(await listed()).toEqual([{ ...first, retiredAt: at }, second])
    })
  })
}
