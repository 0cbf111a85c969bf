import { describe, expect, it } from 'vitest'
import type { Revocation } from '../admin-wire.js'
import { summary } from './agents-revoke.js'

const revocation = (tasks: Revocation['tasks']): Revocation => ({ id: 'rev-1', scope: { kind: 'agent', handle: 'a@x.dev' }, reason: 'r', actor: 'admin', status: 'done', created_at: '2030-01-01T00:00:00Z', tasks })

describe('summary', () => {
  it('counts outcomes per system, with the latest unrevocable-until time, and counts retried failures as pending', () => {
    const text = summary(
      revocation([
        { grant_id: 'g1', system: 'github-acme', status: 'done', attempts: 1, outcome: { kind: 'revoked' } },
        { grant_id: 'g2', system: 'github-acme', status: 'done', attempts: 1, outcome: { kind: 'expired' } },
        { grant_id: 'g3', system: 'aws-prod', status: 'done', attempts: 1, outcome: { kind: 'unrevocable-until', until: '2030-01-01T01:00:00.000Z' } },
        { grant_id: 'g4', system: 'aws-prod', status: 'done', attempts: 1, outcome: { kind: 'unrevocable-until', until: '2030-01-01T02:00:00.000Z' } },
        { grant_id: 'g5', system: 'corp-idp', status: 'done', attempts: 5, outcome: { kind: 'failed', error: 'upstream unavailable' } },
        { grant_id: 'g6', system: 'corp-idp', status: 'pending', attempts: 2, outcome: { kind: 'failed' } },
      ]),
    )
    expect(text.split('\n')).toEqual([
      'revocation rev-1 done:',
      'SYSTEM       REVOKED  EXPIRED  UNREVOCABLE                     FAILED  PENDING',
      'aws-prod     0        0        2 (until 2030-01-01T02:00:00Z)  0       0',
      'corp-idp     0        0        0                               1       1',
      'github-acme  1        1        0                               0       0',
      '',
    ])
  })

  it('says so when the agent held nothing', () => {
    expect(summary(revocation([]))).toBe('revocation rev-1 done: the agent held no live grants\n')
  })
})
