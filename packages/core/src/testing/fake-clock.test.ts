import { describe, expect, it } from 'vitest'
import { FakeClock } from './fake-clock.js'

describe('FakeClock', () => {
  it('stands still until advanced or set', () => {
    const clock = new FakeClock('2031-05-01T12:00:00.000Z')
    expect(clock.now().toISOString()).toBe('2031-05-01T12:00:00.000Z')
    expect(clock.now().toISOString()).toBe('2031-05-01T12:00:00.000Z')
    expect(clock.advance(1_500).toISOString()).toBe('2031-05-01T12:00:01.500Z')
    expect(clock.set(new Date('2031-04-30T00:00:00.000Z')).toISOString()).toBe('2031-04-30T00:00:00.000Z')
    expect(clock.now().toISOString()).toBe('2031-04-30T00:00:00.000Z')
  })

  it('hands out copies: mutating a returned Date does not move the clock', () => {
    const clock = new FakeClock(0)
    clock.now().setTime(99_999)
    expect(clock.now().getTime()).toBe(0)
  })

  it('refuses to run backwards or to an invalid instant', () => {
    const clock = new FakeClock()
    expect(() => clock.advance(-1)).toThrow(RangeError)
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError)
    expect(() => clock.set('not a date')).toThrow(RangeError)
    expect(() => new FakeClock('nope')).toThrow(RangeError)
  })
})
