import { createTestHost } from '@lanyard/connector-sdk/testing'
import { describe, expect, test } from 'vitest'
import { translate } from './client.js'

function serviceError(name: string, status: number, headers: Record<string, string> = {}): Error {
  const error = Object.assign(new Error('Rate exceeded'), { name, $metadata: { httpStatusCode: status } })
  // The SDK attaches the raw response as a non-enumerable member, as here.
  Object.defineProperty(error, '$response', { value: { statusCode: status, headers }, enumerable: false })
  return error
}

describe('translate: throttling and unavailability are retryable, with AWS\'s Retry-After', () => {
  const host = createTestHost({ system: 'aws-prod', clock: { now: () => new Date('2030-01-01T00:00:00Z') } })
  const client = { system: 'aws-prod', host }

  test('429 Throttling with Retry-After seconds', () => {
    expect(translate(client, serviceError('Throttling', 429, { 'retry-after': '7' }), 'PutRolePolicy')).toMatchObject({
      code: 'ERR_UPSTREAM_UNAVAILABLE', retryAfterMs: 7_000, message: 'system "aws-prod" is unavailable: AWS answered Throttling (429)',
    })
  })

  test('503 with an HTTP date; 400 ThrottlingException without the header: retryable, no delay given', () => {
    expect(translate(client, serviceError('ServiceUnavailable', 503, { 'retry-after': 'Tue, 01 Jan 2030 00:00:20 GMT' }), 'AssumeRole')).toMatchObject({ retryAfterMs: 20_000 })
    const throttled = translate(client, serviceError('ThrottlingException', 400), 'AssumeRole')
    expect(throttled).toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE' })
    expect((throttled as { retryAfterMs?: number }).retryAfterMs).toBeUndefined()
  })
})
