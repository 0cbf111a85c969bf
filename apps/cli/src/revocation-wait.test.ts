import { describe, expect, it } from 'vitest'
import type { Revocation } from './admin-wire.js'
import { fullDarkLine, summary } from './revocation-wait.js'

const revocation = (tasks: Revocation['tasks'], id = 'rev-1'): Revocation => ({ id, scope: { kind: 'agent', handle: 'a@x.dev' }, reason: 'r', actor: 'admin', status: 'done', created_at: '2030-01-01T00:00:00Z', tasks })

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

  it('adds up the jobs of several revocations (an owner revoke), and says so when nothing was live', () => {
    const one = revocation([{ grant_id: 'g1', system: 'mem', status: 'done', attempts: 1, outcome: { kind: 'revoked' } }], 'rev-1')
    const two = revocation([{ grant_id: 'g2', system: 'mem', status: 'done', attempts: 1, outcome: { kind: 'revoked' } }], 'rev-2')
    expect(summary([one, two]).split('\n').slice(0, 3)).toEqual(['2 revocations done:', expect.stringMatching(/^SYSTEM/), 'mem     2        0        0            0       0'])
    expect(summary(revocation([]))).toBe('revocation rev-1 done: no live grants to revoke\n')
  })
})

describe('fullDarkLine', () => {
  const counts = { provably_dead: 2, revoked_unproven: 1, dead_by_expiry: 1, failed: 0 }

  it('says "since" for a moment passed and "at ... by expiry" for one to come, with the receipt counts', () => {
    expect(fullDarkLine('2020-01-01T00:00:00.123Z', counts)).toBe(
      'full dark since 2020-01-01T00:00:00Z: no credential it covered works any more (receipt: 2 proven dead, 1 revoked without proof, 1 dead by expiry, 0 failed)',
    )
    expect(fullDarkLine('2999-01-01T00:00:00.000Z', counts)).toMatch(/^full dark at 2999-01-01T00:00:00Z: the last credential it covered dies then \(by expiry\) \(receipt: /)
  })
})
