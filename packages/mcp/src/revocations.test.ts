import { describe, expect, test } from 'vitest'
import { createRevocationList } from './revocations.js'

describe('revocation list', () => {
  test('a revoked subject refuses every token issued at or before the event, not after', () => {
    const list = createRevocationList(3600)
    list.add({ kind: 'subject', sub: 'bot@agents.test', at: 1000 }, 1000)
    expect(list.isRevoked({ sub: 'bot@agents.test', jti: 'a', iat: 999 })).toBe(true)
    expect(list.isRevoked({ sub: 'bot@agents.test', jti: 'b', iat: 1000 })).toBe(true)
    expect(list.isRevoked({ sub: 'bot@agents.test', jti: 'c', iat: 1001 })).toBe(false)
    expect(list.isRevoked({ sub: 'other@agents.test', jti: 'd', iat: 999 })).toBe(false)
  })

  test('a later event never moves the cut back in time', () => {
    const list = createRevocationList(3600)
    list.add({ kind: 'subject', sub: 'bot@agents.test', at: 2000 }, 2000)
    list.add({ kind: 'subject', sub: 'bot@agents.test', at: 1500 }, 2001)
    expect(list.isRevoked({ sub: 'bot@agents.test', jti: 'a', iat: 1800 })).toBe(true)
  })

  test('a revoked token is refused by jti alone; entries go once retained long enough', () => {
    const list = createRevocationList(60)
    list.add({ kind: 'token', sub: 'bot@agents.test', jti: 'grant-1' }, 1000)
    expect(list.isRevoked({ sub: 'bot@agents.test', jti: 'grant-1', iat: 5000 })).toBe(true)
    expect(list.isRevoked({ sub: 'bot@agents.test', jti: 'grant-2', iat: 900 })).toBe(false)
    list.add({ kind: 'token', sub: 'x', jti: 'later' }, 1100)
    expect(list.isRevoked({ sub: 'bot@agents.test', jti: 'grant-1', iat: 5000 })).toBe(false)
  })
})
