import { describe, expect, it } from 'vitest'
import {
  addGrant,
  addIdentity,
  denies,
  emptyEntries,
  maxSessionMs,
  parseRevocationPolicy,
  prune,
  renderRevocationPolicy,
  renderWithin,
} from './revocation-policy.js'

const t0 = Date.parse('2026-03-01T12:00:00Z')
const grant = (sourceIdentity: string, revokedAtMs = t0, untilMs = t0 + 900_000) => ({ sourceIdentity, revokedAtMs, untilMs })

describe('revocation policy', () => {
  it('round-trips entries through the policy text, and keeps statements it did not write', () => {
    const foreign = { Sid: 'AdminDeny', Effect: 'Deny', Action: 's3:DeleteBucket', Resource: '*' }
    const entries = parseRevocationPolicy(JSON.stringify({ Version: '2012-10-17', Statement: [foreign] }))
    addGrant(entries, 'g-1', grant('a@agents.test'))
    addGrant(entries, 'g-2', grant('a@agents.test'))
    addIdentity(entries, 'b@agents.test', t0)
    addIdentity(entries, 'c@agents.test', t0)
    const text = renderRevocationPolicy(entries)
    const again = parseRevocationPolicy(text)
    expect(again.identities).toEqual(entries.identities)
    expect(again.grants).toEqual(entries.grants)
    expect(again.foreign).toEqual([foreign])
    expect(JSON.parse(text).Statement.slice(1)).toEqual([
      {
        Sid: `LanyardRevokedGrantsUntil${(t0 + 900_000) / 1000}At${t0 / 1000}`,
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceIdentity': 'a@agents.test', 'aws:PrincipalTag/lanyard:grant': ['g-1', 'g-2'] } },
      },
      {
        Sid: `LanyardRevokedBefore${t0 / 1000}`,
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceIdentity': ['b@agents.test', 'c@agents.test'] }, DateLessThan: { 'aws:TokenIssueTime': '2026-03-01T12:00:00Z' } },
      },
    ])
  })

  it('denies a revoked grant only, or every session issued before a cutoff', () => {
    const entries = emptyEntries()
    addGrant(entries, 'g-1', grant('a@agents.test'))
    addIdentity(entries, 'b@agents.test', t0)
    expect(denies(entries, { sourceIdentity: 'a@agents.test', issuedAtMs: t0 - 5000, grantId: 'g-1' })).toBe(true)
    expect(denies(entries, { sourceIdentity: 'a@agents.test', issuedAtMs: t0 - 5000, grantId: 'g-2' })).toBe(false)
    expect(denies(entries, { sourceIdentity: 'b@agents.test', issuedAtMs: t0 - 1000, grantId: 'g-3' })).toBe(true)
    expect(denies(entries, { sourceIdentity: 'b@agents.test', issuedAtMs: t0, grantId: 'g-4' })).toBe(false)
  })

  it('keeps the later cutoff for a source identity revoked twice', () => {
    const entries = emptyEntries()
    addIdentity(entries, 'a@agents.test', t0 + 5000)
    addIdentity(entries, 'a@agents.test', t0)
    expect(entries.identities.get('a@agents.test')).toBe(t0 + 5000)
  })

  it('drops entries once every session they could match has expired, and grants a cutoff covers', () => {
    const entries = emptyEntries()
    addIdentity(entries, 'old@agents.test', t0)
    addIdentity(entries, 'new@agents.test', t0 + 3_600_000)
    addGrant(entries, 'expired', grant('x@agents.test', t0, t0 + 900_000))
    addGrant(entries, 'covered', grant('new@agents.test', t0 + 1_000_000, t0 + maxSessionMs + 7_200_000))
    addGrant(entries, 'kept', grant('y@agents.test', t0 + 1_000_000, t0 + maxSessionMs + 7_200_000))
    prune(entries, t0 + maxSessionMs)
    expect([...entries.identities.keys()]).toEqual(['new@agents.test'])
    expect([...entries.grants.keys()]).toEqual(['kept'])
  })

  it('fits a budget by trading grants for cutoffs, then merging cutoffs to the later one: never denying less', () => {
    const entries = emptyEntries()
    const sessions: { sourceIdentity: string; issuedAtMs: number; grantId: string }[] = []
    for (let i = 0; i < 40; i++) {
      const sourceIdentity = `agent-${i}@agents.test`
      for (let j = 0; j < 3; j++) {
        addGrant(entries, `grant-${i}-${j}`, grant(sourceIdentity, t0 + i * 1000, t0 + 3_600_000))
        sessions.push({ sourceIdentity, issuedAtMs: t0 + i * 1000 - 500_000, grantId: `grant-${i}-${j}` })
      }
    }
    const text = renderWithin(entries, 3000)
    expect(text).toBeDefined()
    expect(text!.length).toBeLessThanOrEqual(3000)
    const after = parseRevocationPolicy(text)
    for (const session of sessions) expect(denies(after, session)).toBe(true)
  })

  it('gives up when even one cutoff statement does not fit', () => {
    const entries = emptyEntries()
    for (let i = 0; i < 200; i++) addIdentity(entries, `agent-with-a-long-name-${i}@agents.test`, t0)
    expect(renderWithin(entries, 2000)).toBeUndefined()
  })
})
