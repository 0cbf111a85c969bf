import type { Clock } from '../ports/clock.js'

/**
 * A Clock that moves only when told to, so tests never sleep. Starts at a fixed instant
 * (2030-01-01T00:00:00Z unless given one), far from any real wall clock, so a test that leaks
 * `new Date()` somewhere shows up as a time decades away.
 */
export class FakeClock implements Clock {
  #ms: number

  constructor(start: Date | number | string = '2030-01-01T00:00:00.000Z') {
    this.#ms = toMs(start)
  }

  /** A fresh Date each call: callers may mutate it without moving the clock. */
  now(): Date {
    return new Date(this.#ms)
  }

  /** Moves forward by `ms` (never backwards: time in Lanyard is monotonic). */
  advance(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance expects a finite, non-negative number of ms, got ${ms}`)
    this.#ms += ms
    return this.now()
  }

  /** Jumps to `date`, in either direction: for cases that replay a recorded instant. */
  set(date: Date | number | string): Date {
    this.#ms = toMs(date)
    return this.now()
  }
}

function toMs(value: Date | number | string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value)
  if (!Number.isFinite(ms)) throw new RangeError(`not a valid instant: ${String(value)}`)
  return ms
}
