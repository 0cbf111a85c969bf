import { describe, expect, it } from 'vitest'
import { UsageError } from '../cli-error.js'
import { whoisQuery } from './whois-lookup.js'

describe('whoisQuery', () => {
  it('turns --some-key value, --some-key=value and --key/--value into one snake_case query', () => {
    expect(whoisQuery(['--github-hashed-token', 'abc'], {})).toEqual({ github_hashed_token: 'abc' })
    expect(whoisQuery(['--aws-source-identity=lanyard:bot'], {})).toEqual({ aws_source_identity: 'lanyard:bot' })
    expect(whoisQuery([], { key: 'grant_id', value: 'g1' })).toEqual({ grant_id: 'g1' })
  })

  it('refuses no key, two keys, a key without value and a stray operand as usage errors', () => {
    for (const [args, options] of [
      [[], {}],
      [['--grant-id', 'g1', '--github-hashed-token', 'h'], {}],
      [['--grant-id'], {}],
      [['--grant-id', '--json'], {}],
      [['g1'], {}],
      [[], { key: 'grant_id' }],
    ] as const) {
      expect(() => whoisQuery(args, options)).toThrow(UsageError)
    }
  })
})
