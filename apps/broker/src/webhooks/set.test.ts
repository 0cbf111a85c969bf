import { decodeJwt, decodeProtectedHeader, generateKeyPair } from 'jose'
import { describe, expect, it } from 'vitest'
import type { KeyRing, Revocation, RevocationTask } from '@lanyard/core'
import { credentialChange, revocationSets, sessionRevoked, signSet } from './set.js'

const issuer = 'https://lanyard.acme.dev'
const handle = 'deploy-bot@agents.acme.dev'
const at = new Date('2030-01-01T00:00:00Z')

function task(grantId: string, outcome?: RevocationTask['outcome']): RevocationTask {
  return { revocationId: 'r1', grantId, handle, system: 'github-acme', status: outcome ? 'done' : 'pending', attempts: 0, nextAttemptAt: at, ...(outcome ? { outcome } : {}) }
}

function revocation(scope: Revocation['scope'], tasks: RevocationTask[], finishedAt?: Date): Revocation {
  return { id: 'r1', scope, reason: 'key leaked', actor: 'admin:bootstrap', createdAt: at, status: finishedAt ? 'done' : 'running', tasks, ...(finishedAt ? { finishedAt } : {}) }
}

describe('revocationSets', () => {
  it('(1) an agent revocation starting is one session-revoked event for the handle as iss_sub', () => {
    const sets = revocationSets({ type: 'revocation.started', revocation: revocation({ kind: 'agent', handle }, [task('g1'), task('g2')]) }, issuer)
    expect(sets).toEqual([
      {
        sub_id: { format: 'iss_sub', iss: issuer, sub: handle },
        events: { [sessionRevoked]: { subject: { format: 'iss_sub', iss: issuer, sub: handle }, initiating_entity: 'admin', reason_admin: { en: 'key leaked' }, event_timestamp: at.getTime() / 1000 } },
      },
    ])
  })

  it('(2) a binding revocation starting is one credential-change per grant in scope', () => {
    const sets = revocationSets({ type: 'revocation.started', revocation: revocation({ kind: 'binding', handle, system: 'github-acme', bindingId: 'b1' }, [task('g1'), task('g2')]) }, issuer)
    expect(sets.map((s) => Object.keys(s.events))).toEqual([[credentialChange], [credentialChange]])
    expect(sets.map((s) => s.events[credentialChange]?.friendly_name)).toEqual(['github-acme/g1', 'github-acme/g2'])
    expect(sets[0]?.events[credentialChange]).toMatchObject({ change_type: 'revoke', credential_type: 'lanyard-grant' })
  })

  it('(3) a revocation finishing announces only grants that are dead, stamped when it finished', () => {
    const finishedAt = new Date(at.getTime() + 90_000)
    const tasks = [task('dead', { kind: 'revoked', proof: 'dead' }), task('gone', { kind: 'expired' }), task('later', { kind: 'unrevocable-until', until: finishedAt }), task('stuck', { kind: 'failed', error: 'upstream down' })]
    const sets = revocationSets({ type: 'revocation.finished', revocation: revocation({ kind: 'agent', handle }, tasks, finishedAt) }, issuer)
    expect(sets.map((s) => s.events[credentialChange]?.friendly_name)).toEqual(['github-acme/dead', 'github-acme/gone'])
    expect(sets[0]?.events[credentialChange]?.event_timestamp).toBe(finishedAt.getTime() / 1000)
    expect(sets[0]?.events[credentialChange]?.initiating_entity).toBe('admin')
  })

  it('a job opened by the system itself says so', () => {
    const [set] = revocationSets({ type: 'revocation.started', revocation: { ...revocation({ kind: 'agent', handle }, []), actor: 'system' } }, issuer)
    expect(set?.events[sessionRevoked]?.initiating_entity).toBe('system')
  })
})

describe('signSet', () => {
  it('signs with the ES256 key as typ secevent+jwt, with iss, aud, iat, jti, txn and no exp', async () => {
    const pair = await generateKeyPair('ES256')
    const asked: string[] = []
    const keys = { signingKey: async (alg: string) => (asked.push(alg), { kid: 'k1', alg, privateKey: pair.privateKey }) } as unknown as KeyRing
    const [body] = revocationSets({ type: 'revocation.started', revocation: revocation({ kind: 'agent', handle }, []) }, issuer)
    const token = await signSet(keys, { issuer, audience: 'https://rp.example.com/caep', jti: 'd1', txn: 'r1', issuedAt: at }, body!)
    expect(asked).toEqual(['ES256'])
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: 'k1', typ: 'secevent+jwt' })
    const claims = decodeJwt(token)
    expect(claims).toMatchObject({ iss: issuer, aud: 'https://rp.example.com/caep', jti: 'd1', txn: 'r1', iat: at.getTime() / 1000, sub_id: body!.sub_id })
    expect(claims.exp).toBeUndefined()
    expect(claims.sub).toBeUndefined()
  })
})
