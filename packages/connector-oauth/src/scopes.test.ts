import { describe, expect, test } from 'vitest'
import { narrowOAuth, oauthScopes, splitItems } from './scopes.js'

describe('oauth scopes', () => {
  test.each([
    ['read', true],
    ['api:write', true],
    ['https://graph.example/.default', true],
    ['resource:https://api.acme.test/', true],
    ['resource:urn:acme:ledger', true],
    ['two words', false],
    ['say"what', false],
    ['back\\slash', false],
    ['', false],
    ['resource:not-a-uri', false],
    ['resource:https://api.acme.test/#frag', false],
  ])('isKnown(%j) is %s', (item, known) => {
    expect(oauthScopes.isKnown(item)).toBe(known)
  })

  test('with the system\'s scope list, other names are unknown; resource items stay open', () => {
    const ceiling = ['read', 'resource:https://api.acme.test/']
    expect(narrowOAuth(ceiling, ['read', 'resource:https://api.acme.test/'], ['read', 'write'])).toEqual(['read', 'resource:https://api.acme.test/'])
    expect(() => narrowOAuth([...ceiling, 'openid'], ['openid'], ['read', 'write'])).toThrow(expect.objectContaining({ code: 'ERR_SCOPE_UNKNOWN', scope: 'openid' }))
    expect(() => narrowOAuth(ceiling, ['write'], ['read', 'write'])).toThrow(expect.objectContaining({ code: 'ERR_SCOPE_WIDENING', scope: 'write' }))
    expect(() => narrowOAuth(ceiling, ['resource:https://other.acme.test/'], undefined)).toThrow(expect.objectContaining({ code: 'ERR_SCOPE_WIDENING' }))
  })

  test('splitItems separates scope names from resource indicators', () => {
    expect(splitItems(['read', 'resource:https://a.test/', 'write', 'resource:urn:b'])).toEqual({
      scopes: ['read', 'write'],
      resources: ['https://a.test/', 'urn:b'],
    })
  })
})
