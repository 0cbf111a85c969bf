import { InvalidArgumentError } from 'commander'
import { describe, expect, it } from 'vitest'
import { scopeList } from './option-parsers.js'

describe('scopeList: the one parser of every scope-list option', () => {
  it('takes commas, spaces and repeated options alike, dropping duplicates in order', () => {
    expect(scopeList('read,write')).toEqual(['read', 'write'])
    expect(scopeList('read write')).toEqual(['read', 'write'])
    expect(scopeList(' read, write\titems:x ')).toEqual(['read', 'write', 'items:x'])
    expect(scopeList('write', scopeList('read'))).toEqual(['read', 'write'])
    expect(scopeList('read,write', ['read'])).toEqual(['read', 'write'])
    expect(scopeList('resource:arn:aws:s3:::bucket/*,s3:GetObject')).toEqual(['resource:arn:aws:s3:::bucket/*', 's3:GetObject'])
  })

  it('refuses an empty list, saying what it expects', () => {
    expect(() => scopeList(' , ')).toThrow(InvalidArgumentError)
    expect(() => scopeList('')).toThrow(/expected one or more scopes, separated by commas or spaces/)
  })
})
