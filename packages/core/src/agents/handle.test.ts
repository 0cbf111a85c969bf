import { describe, expect, it } from 'vitest'
import { HandleInvalid } from '../errors.js'
import { parseHandle } from './handle.js'

describe('parseHandle', () => {
  it.each(['deploy-bot@agents.acme.dev', 'a@b.co', 'ci.runner_7@x-y.example.org'])('accepts %s', (handle) => {
    expect(parseHandle(handle)).toBe(handle)
  })

  it.each([
    ['de\u200bploy@acme.dev', /invisible/],
    ['deploy\u202e@acme.dev', /bidirectional/],
    ['dеploy@acme.dev', /mixes scripts/],
    ['deploy', /exactly one "@"/],
    ['a@b@c.dev', /exactly one "@"/],
    ['-bot@acme.dev', /local part/],
    ['bot@localhost', /domain/],
    ['bot@acme..dev', /domain/],
    ['bot @acme.dev', /local part/],
    ['', /expected a string/],
    [`${'a'.repeat(120)}@acme.dev`, /longer than/],
  ])('refuses %j', (handle, reason) => {
    expect(() => parseHandle(handle)).toThrow(HandleInvalid)
    expect(() => parseHandle(handle)).toThrow(reason)
  })

  it('returns one form: NFKC, lower case', () => {
    expect(parseHandle('Deploy@Acme.dev')).toBe('deploy@acme.dev')
    expect(parseHandle('ｄｅｐｌｏｙ@acme.dev')).toBe('deploy@acme.dev')
  })

  it('refuses non-strings with the stable code', () => {
    try {
      parseHandle(42)
      expect.unreachable()
    } catch (error) {
      expect((error as HandleInvalid).code).toBe('ERR_HANDLE_INVALID')
    }
  })
})
