import { describe, expect, it } from 'vitest'
import { formatDetails, formatTable } from './table.js'

describe('formatTable', () => {
  const columns = [
    { header: 'handle', value: (r: { h: string; s?: string[] }) => r.h },
    { header: 'scopes', value: (r: { h: string; s?: string[] }) => r.s },
  ]

  it('pads columns to the widest cell, upper-cases headers and leaves no trailing spaces', () => {
    expect(formatTable(columns, [{ h: 'a@x.dev', s: ['read', 'write'] }, { h: 'longer-bot@x.dev' }])).toBe(
      ['HANDLE            SCOPES', 'a@x.dev           read write', 'longer-bot@x.dev  -', ''].join('\n'),
    )
  })

  it('prints the empty line instead of a lone header when there are no rows', () => {
    expect(formatTable(columns, [], { empty: 'no agents' })).toBe('no agents\n')
    expect(formatTable(columns, [])).toBe('HANDLE  SCOPES\n')
  })

  it('shows times without milliseconds and keeps each cell on one line', () => {
    expect(formatDetails([['at', '2030-01-01T00:00:00.123Z'], ['why', 'two\nlines']])).toBe('at:   2030-01-01T00:00:00Z\nwhy:  two lines\n')
  })
})
