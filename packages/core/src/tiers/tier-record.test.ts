import { describe, expect, it } from 'vitest'
import type { Agent } from '../agents/agent.js'
import { initialTierRecord, nextPromotion, stepTier, type TierRecord, type TrustPolicy } from './tier-record.js'

const start = new Date('2030-01-01T00:00:00Z')
const day = 86_400_000
const agent: Agent = { handle: 'a@agents.test', owner: 'o@acme.test', status: 'active', tier: 0, generation: 1, labels: {}, createdAt: start, updatedAt: start }
const policy: TrustPolicy = {
  promote: [
    { to: 1, after: { days: 3, grants: 2, incidents: 0 } },
    { to: 2, after: { days: 14, grants: 2, incidents: 0, approvalsGranted: 1 } },
  ],
  severe: ['reported'],
  suspendAt: 3,
  refusalBurst: { threshold: 3, windowSeconds: 60 },
  rateLimitBurst: { threshold: 2, windowSeconds: 10 },
  tiers: {},
}
const at = (ms: number) => new Date(start.getTime() + ms)

describe('stepTier', () => {
  it('promotes on the grant that meets the rung, one rung at a time, never to 3', () => {
    let record = initialTierRecord(agent)
    record = stepTier(record, { kind: 'grant', approved: false }, policy, at(0)).record
    const early = stepTier(record, { kind: 'grant', approved: false }, policy, at(2 * day))
    expect(early.change).toBeUndefined()
    const promoted = stepTier(early.record, { kind: 'grant', approved: false }, policy, at(3 * day))
    expect(promoted.change).toMatchObject({ from: 0, to: 1, rule: 'promotion' })
    expect(promoted.record).toMatchObject({ tier: 1, grants: 0, since: at(3 * day) })
    let two: TierRecord = promoted.record
    for (const approved of [false, false]) two = stepTier(two, { kind: 'grant', approved }, policy, at(20 * day)).record
    expect(two.tier).toBe(1)
    expect(nextPromotion(two, policy, at(20 * day))?.missing).toEqual(['1 more approved exchanges (1)'])
    const top = stepTier(two, { kind: 'grant', approved: true }, policy, at(20 * day))
    expect(top.record.tier).toBe(2)
    expect(nextPromotion(top.record, policy, at(400 * day))).toBeUndefined()
    expect(stepTier(top.record, { kind: 'grant', approved: true }, policy, at(400 * day)).change).toBeUndefined()
  })

  it('drops one tier per incident, to 0 for a severe rule, and says suspend at suspendAt', () => {
    const two: TierRecord = { ...initialTierRecord(agent), tier: 2 }
    const denied = stepTier(two, { kind: 'incident', rule: 'approval-denied', reason: 'denied' }, policy, at(0))
    expect(denied).toMatchObject({ change: { from: 2, to: 1, rule: 'approval-denied' }, record: { tier: 1, incidents: 1, totalIncidents: 1 } })
    const severe = stepTier({ ...two }, { kind: 'incident', rule: 'reported', reason: 'misuse' }, policy, at(0))
    expect(severe.change).toMatchObject({ from: 2, to: 0 })
    let record = denied.record
    for (const _ of [1, 2]) record = stepTier(record, { kind: 'incident', rule: 'grant-revoked', reason: 'x' }, policy, at(0)).record
    expect(record).toMatchObject({ tier: 0, totalIncidents: 3 })
    expect(stepTier({ ...record, totalIncidents: 2 }, { kind: 'incident', rule: 'grant-revoked', reason: 'x' }, policy, at(0)).suspend).toBe(true)
  })

  it('turns bursts into incidents only within their window', () => {
    let record: TierRecord = { ...initialTierRecord(agent), tier: 1 }
    record = stepTier(record, { kind: 'rate-hit' }, policy, at(0)).record
    // The window (10 s) closed: counting starts again.
    const later = stepTier(record, { kind: 'rate-hit' }, policy, at(11_000))
    expect(later.incident).toBeUndefined()
    const burst = stepTier(later.record, { kind: 'rate-hit' }, policy, at(12_000))
    expect(burst).toMatchObject({ incident: { rule: 'rate-limit-burst' }, change: { from: 1, to: 0 } })
    let refusals = record
    for (const ms of [0, 1000]) refusals = stepTier(refusals, { kind: 'refusal' }, policy, at(ms)).record
    expect(stepTier(refusals, { kind: 'refusal' }, policy, at(2000)).incident?.rule).toBe('refused-burst')
  })

  it('an admin sets any tier, 3 included', () => {
    expect(stepTier(initialTierRecord(agent), { kind: 'set', tier: 3, reason: 'reviewed' }, policy, at(0))).toMatchObject({ change: { from: 0, to: 3, rule: 'admin' }, record: { tier: 3 } })
  })
})
