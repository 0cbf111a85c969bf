/** Time, lent to everything that needs it. Tests use FakeClock from @lanyard/core/testing. */
export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }
