import { describe, expect, it } from 'vitest'
import { type RequestContext, evaluate, parsePolicy, wildcard } from './policy.js'

const identity = (statement: object) => parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: [statement] }), 'identity')
const allowAll = identity({ Effect: 'Allow', Action: '*', Resource: '*' })
const request = (keys: RequestContext['keys'] = {}): RequestContext => ({ action: 's3:GetObject', resource: 'arn:aws:s3:::b/k', keys })

describe('evaluate', () => {
  it('lets an explicit deny in any layer win over allows', () => {
    const deny = identity({ Effect: 'Deny', Action: 's3:*', Resource: '*' })
    expect(evaluate([[allowAll, deny], [allowAll]], request())).toBe('explicitDeny')
  })

  it('needs an allow in every layer', () => {
    const narrow = identity({ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' })
    expect(evaluate([[allowAll], [narrow]], request())).toBe('implicitDeny')
    expect(evaluate([[allowAll], [allowAll]], request())).toBe('allowed')
  })

  it('treats several values of one key as OR, and a negated operator as "none of them"', () => {
    const equals = identity({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:SourceIdentity': ['a', 'b'] } } })
    const notEquals = identity({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringNotEquals: { 'aws:SourceIdentity': ['a', 'b'] } } })
    expect(evaluate([[allowAll, equals]], request({ 'aws:SourceIdentity': 'b' }))).toBe('explicitDeny')
    expect(evaluate([[allowAll, equals]], request({ 'aws:SourceIdentity': 'c' }))).toBe('allowed')
    expect(evaluate([[allowAll, notEquals]], request({ 'aws:SourceIdentity': 'b' }))).toBe('allowed')
    expect(evaluate([[allowAll, notEquals]], request({ 'aws:SourceIdentity': 'c' }))).toBe('explicitDeny')
  })

  it('fails a condition on a missing key, except under negated, IfExists and Null operators', () => {
    const on = (Condition: object) => identity({ Effect: 'Deny', Action: '*', Resource: '*', Condition })
    expect(evaluate([[allowAll, on({ StringEquals: { 'aws:SourceIdentity': 'a' } })]], request())).toBe('allowed')
    expect(evaluate([[allowAll, on({ StringNotEquals: { 'aws:SourceIdentity': 'a' } })]], request())).toBe('explicitDeny')
    expect(evaluate([[allowAll, on({ StringEqualsIfExists: { 'aws:SourceIdentity': 'a' } })]], request())).toBe('explicitDeny')
    expect(evaluate([[allowAll, on({ Null: { 'aws:SourceIdentity': 'true' } })]], request())).toBe('explicitDeny')
  })

  it('compares dates, ISO or epoch seconds, and matches condition keys ignoring case', () => {
    const deny = identity({
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-01-01T00:00:10Z' } },
    })
    expect(evaluate([[allowAll, deny]], request({ 'aws:tokenissuetime': '2026-01-01T00:00:09Z' }))).toBe('explicitDeny')
    expect(evaluate([[allowAll, deny]], request({ 'aws:TokenIssueTime': '2026-01-01T00:00:10Z' }))).toBe('allowed')
    const epoch = identity({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateGreaterThan: { 'aws:CurrentTime': '1767225600' } } })
    expect(evaluate([[allowAll, epoch]], request({ 'aws:CurrentTime': '2026-01-01T00:00:01Z' }))).toBe('explicitDeny')
  })

  it('honours NotAction and NotResource', () => {
    const notAction = identity({ Effect: 'Allow', NotAction: 's3:Delete*', Resource: '*' })
    expect(evaluate([[notAction]], request())).toBe('allowed')
    expect(evaluate([[notAction]], { ...request(), action: 's3:DeleteObject' })).toBe('implicitDeny')
    const notResource = identity({ Effect: 'Allow', Action: '*', NotResource: 'arn:aws:s3:::b/*' })
    expect(evaluate([[notResource]], request())).toBe('implicitDeny')
  })
})

describe('wildcard', () => {
  it('matches * and ? and nothing else as patterns; actions ignore case, resources do not', () => {
    expect(wildcard('s3:Get*', 'S3:GETOBJECT', true)).toBe(true)
    expect(wildcard('arn:aws:s3:::b/*', 'arn:aws:s3:::B/k', false)).toBe(false)
    expect(wildcard('arn:aws:s3:::b?', 'arn:aws:s3:::bx', false)).toBe(true)
    expect(wildcard('arn:aws:s3:::b.c', 'arn:aws:s3:::bxc', false)).toBe(false)
  })
})

describe('parsePolicy', () => {
  it('counts size without white space, as IAM does', () => {
    const text = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] }, null, 4)
    expect(parsePolicy(text, 'identity').size).toBe(text.replace(/\s/g, '').length)
  })

  it('refuses a trust policy without a principal, and an unknown version', () => {
    expect(() => parsePolicy(JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] }), 'trust')).toThrow(/principal/)
    expect(() => parsePolicy(JSON.stringify({ Version: '2020-01-01', Statement: [] }), 'identity')).toThrow(/version/)
  })
})
