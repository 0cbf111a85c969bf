import { describe, expect, test } from 'vitest'
import { parseRetryAfter } from './retry-after.js'

const now = new Date('2030-01-01T00:00:00Z')

describe('parseRetryAfter', () => {
  test('delay-seconds', () => {
    expect(parseRetryAfter('30', now)).toBe(30_000)
    expect(parseRetryAfter(' 0 ', now)).toBe(0)
  })
  test('an HTTP-date, relative to now; a past date is no wait', () => {
    expect(parseRetryAfter('Tue, 01 Jan 2030 00:01:30 GMT', now)).toBe(90_000)
    expect(parseRetryAfter('Sunday, 31-Dec-29 23:00:00 GMT', now)).toBe(0)
  })
  test('absent or malformed: undefined', () => {
    for (const value of [undefined, null, '', '-5', '1.5', 'soon', '2030-01-01T00:01:00Z', 'Tue Jan  1 00:00:05 2030']) expect(parseRetryAfter(value, now)).toBeUndefined()
  })
})
