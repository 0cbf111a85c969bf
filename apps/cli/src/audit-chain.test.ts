import { describe, expect, it } from 'vitest'
import type { AuditEvent } from './admin-wire.js'
import { genesisHash, sealAuditEvent } from '@lanyard/core'
import { verifyAuditEvents } from './audit-chain.js'
import { compare } from './commands/audit-show.js'

const handle = 'a@x.dev'

/** A chain sealed by the broker's own function, in the admin API's wire shape. */
function chain(drafts: Pick<AuditEvent, 'action' | 'details'>[]): AuditEvent[] {
  const sealed: ReturnType<typeof sealAuditEvent>[] = []
  for (const [i, draft] of drafts.entries()) {
    sealed.push(sealAuditEvent(handle, sealed.at(-1), { at: new Date(`2030-01-01T00:00:0${i}.000Z`), actor: 'admin:root', target: handle, outcome: 'success', action: draft.action, details: draft.details as Record<string, unknown> }))
  }
  return sealed.map((e) => ({ seq: e.seq, prev_hash: e.prevHash, hash: e.hash, at: e.at.toISOString(), actor: e.actor, action: e.action, target: e.target, outcome: e.outcome, details: e.details as Record<string, unknown> }))
}

describe('audit chain, recomputed in the CLI', () => {
  // The broker's own chains are checked against this in test/cli.test.ts (audit --verify).
  it('verifies an intact chain and names the first broken event of a tampered one', async () => {
    const events = chain([{ action: 'agent.created', details: {} }, { action: 'key.added', details: { kid: 'k1' } }, { action: 'agent.revoked', details: { reason: 'r' } }])
    expect(await verifyAuditEvents(handle, events)).toEqual({ ok: true, length: 3, head: events[2]?.hash })
    expect(await verifyAuditEvents('other@x.dev', events)).toEqual({ ok: false, broken_at: 1, reason: 'hash does not match the event' })

    const edited = events.map((e) => (e.seq === 2 ? { ...e, details: { kid: 'k2' } } : e))
    expect(await verifyAuditEvents(handle, edited)).toEqual({ ok: false, broken_at: 2, reason: 'hash does not match the event' })
    const dropped = events.filter((e) => e.seq !== 2)
    expect(await verifyAuditEvents(handle, dropped)).toEqual({ ok: false, broken_at: 3, reason: 'expected seq 2' })
    const relinked = chain([{ action: 'agent.created', details: {} }, { action: 'key.added', details: { kid: 'k9' } }])
    expect(await verifyAuditEvents(handle, [events[0]!, { ...relinked[1]!, seq: 2 }, events[2]!])).toEqual({ ok: false, broken_at: 3, reason: 'prevHash does not match the previous event' })
    expect(await verifyAuditEvents(handle, [])).toEqual({ ok: true, length: 0, head: genesisHash })
  })

  it('audit --verify agrees only when the broker verified the same head', async () => {
    const events = chain([{ action: 'agent.created', details: {} }, { action: 'key.added', details: {} }])
    const offline = await verifyAuditEvents(handle, events)
    expect(compare({ ok: true, length: 2, head: events[1]!.hash }, offline, events)).toEqual({ text: `chain verified: 2 event(s), head ${events[1]!.hash}\nchecked twice: by the broker, and recomputed here from the events read\n` })
    // The chain grew between the broker's check and the last page read: still the same chain.
    expect(compare({ ok: true, length: 1, head: events[0]!.hash }, offline, events).failure).toBeUndefined()
    expect(compare({ ok: true, length: 2, head: 'f'.repeat(64) }, offline, events).failure).toMatch(/^head differs/)
    expect(compare({ ok: false, broken_at: 2, reason: 'x' }, offline, events).failure).toBe('does not verify (the broker says so)')
    const tampered = events.map((e) => (e.seq === 1 ? { ...e, actor: 'admin:mallory' } : e))
    expect(compare({ ok: true, length: 2, head: events[1]!.hash }, await verifyAuditEvents(handle, tampered), tampered).failure).toMatch(/^does not verify when recomputed here \(seq 1\)/)
  })
})
