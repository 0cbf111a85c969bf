import { ScopeUnknown, ScopeWidening } from '@lanyard/connector-sdk'
import { describe, expect, it } from 'vitest'
import { awsScopes, covers, narrowAwsScopes } from './scopes.js'

const ceiling = ['s3:Get*', 's3:PutObject', 'resource:arn:aws:s3:::reports/*', 'resource:arn:aws:s3:::logs/2026/*']

describe('awsScopes', () => {
  it.each(['s3:GetObject', 's3:*', 'ec2:Describe*', 'resource:*', 'resource:arn:aws:s3:::b/k', 'resource:arn:aws:iam::123456789012:role/x'])(
    'knows %s',
    (item) => expect(awsScopes.isKnown(item)).toBe(true),
  )
  it.each(['contents:read', 's3:getObject', 's3:Get?bject', 'GetObject', 'resource:arn:aws:s3:::${aws:username}/*', 'resource:bucket', 'resource:'])(
    'does not know %s',
    (item) => expect(awsScopes.isKnown(item)).toBe(false),
  )
})

describe('covers', () => {
  it.each([
    ['s3:*', 's3:Get*', true],
    ['s3:Get*', 's3:GetObject', true],
    ['s3:Get*', 's3:get*acl', true],
    ['s3:Get*', 's3:G*', false],
    ['s3:*Object', 's3:Get*', false],
    ['resource:arn:aws:s3:::reports/*', 'resource:arn:aws:s3:::reports/2026/*', true],
    ['resource:arn:aws:s3:::reports/*', 'resource:arn:aws:s3:::Reports/x', false],
    ['resource:arn:aws:s3:::reports/*', 'resource:*', false],
    ['s3:*', 'resource:arn:aws:s3:::x', false],
  ])('%s covers %s: %s', (granted, wanted, expected) => expect(covers(granted, wanted)).toBe(expected))
})

describe('narrowAwsScopes', () => {
  it('keeps what was asked and fills the missing side from the ceiling', () => {
    expect(narrowAwsScopes(ceiling, ['s3:GetObject'])).toEqual(['s3:GetObject', 'resource:arn:aws:s3:::reports/*', 'resource:arn:aws:s3:::logs/2026/*'])
    expect(narrowAwsScopes(ceiling, ['resource:arn:aws:s3:::reports/q1.csv'])).toEqual(['resource:arn:aws:s3:::reports/q1.csv', 's3:Get*', 's3:PutObject'])
    expect(narrowAwsScopes(ceiling, ceiling)).toEqual(ceiling)
    expect(narrowAwsScopes(ceiling, [])).toEqual([])
  })

  it.each([['s3:DeleteObject'], ['s3:*'], ['resource:arn:aws:s3:::secrets/*'], ['resource:*'], ['resource:arn:aws:s3:::logs/*']])('refuses %s as widening', (item) => {
    expect(() => narrowAwsScopes(ceiling, ['s3:GetObject', item])).toThrow(ScopeWidening)
  })

  it('refuses unknown items', () => {
    expect(() => narrowAwsScopes(ceiling, ['contents:read'])).toThrow(ScopeUnknown)
  })
})
