import { describe, expect, it } from 'vitest'
import { needsApproval, scopeSet, spentApproval, type Approval } from './approval.js'

const at = new Date('2030-01-01T00:00:00Z')
const approval: Approval = {
  id: 'ap-1', handle: 'a@agents.test', bindingId: 'b-1', system: 'mem', scopes: ['read', 'write'], generation: 2, approvers: ['o@acme.test'],
  status: 'approved', requestedAt: at, expiresAt: new Date(at.getTime() + 60_000), decidedBy: 'o@acme.test', decidedAt: at,
}
const use = { handle: 'a@agents.test', bindingId: 'b-1', scopes: ['write', 'read', 'read'], generation: 2, grantId: 'g-1', at }

describe('approvals', () => {
  it('needsApproval: listed scopes, "all", and the tier rule', () => {
    expect(needsApproval(undefined, 0, ['write'])).toBe(false)
    expect(needsApproval({ scopes: ['write'], approvers: ['owner'], ttlSeconds: 60 }, 3, ['read'])).toBe(false)
    expect(needsApproval({ scopes: ['write'], approvers: ['owner'], ttlSeconds: 60 }, 3, ['read', 'write'])).toBe(true)
    expect(needsApproval({ scopes: 'all', approvers: ['owner'], ttlSeconds: 60 }, 3, ['read'])).toBe(true)
    expect(needsApproval({ scopes: 'all', approvers: ['owner'], ttlSeconds: 60, belowTier: 2 }, 2, ['read'])).toBe(false)
    expect(needsApproval({ scopes: 'all', approvers: ['owner'], ttlSeconds: 60, belowTier: 2 }, 1, ['read'])).toBe(true)
    expect(needsApproval({ scopes: ['write'], approvers: ['owner'], ttlSeconds: 60, belowTier: 2 }, 1, ['read'])).toBe(true)
  })

  it('spentApproval: the exact set in any order spends it; every other use names its refusal', () => {
    expect(scopeSet(['b', 'a', 'b'])).toEqual(['a', 'b'])
    expect(spentApproval(approval, use)).toMatchObject({ status: 'spent', grantId: 'g-1', spentAt: at })
    const refusal = (a: Partial<Approval>, u: Partial<typeof use> = {}) => {
      try {
        spentApproval({ ...approval, ...a }, { ...use, ...u })
        return undefined
      } catch (error) {
        return (error as { code: string; reason?: string }).reason ?? (error as { code: string }).code
      }
    }
    expect(refusal({}, { handle: 'b@agents.test' })).toBe('agent')
    expect(refusal({}, { bindingId: 'b-2' })).toBe('binding')
    expect(refusal({}, { scopes: ['read'] })).toBe('scopes')
    expect(refusal({}, { generation: 3 })).toBe('agent changed')
    expect(refusal({ status: 'spent' })).toBe('ERR_APPROVAL_SPENT')
    expect(refusal({ status: 'denied' })).toBe('ERR_APPROVAL_DENIED')
    expect(refusal({ status: 'pending' })).toBe('ERR_APPROVAL_REQUIRED')
    expect(refusal({}, { at: approval.expiresAt })).toBe('ERR_APPROVAL_EXPIRED')
  })
})
