import { describe, expect, it } from 'vitest'
import type { AuditDraft, AuditEvent } from './event.js'
import { canonicalJson, genesisHash, sealAuditEvent, sealAuditEventText, verifyAuditChain } from './chain.js'

const draft = (n: number): AuditDraft => ({ at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)), actor: 'admin:root', action: 'agent.created', target: 'a@b.co', outcome: 'success', details: { n, nested: { z: 1, a: 2 } } })

function chain(length: number): AuditEvent[] {
  const events: AuditEvent[] = []
  for (let i = 0; i < length; i++) events.push(sealAuditEvent('a@b.co', events.at(-1), draft(i)))
  return events
}

describe('audit chain', () => {
  it('links each event to the previous one from the genesis hash', () => {
    const events = chain(3)
    expect(events[0]!.prevHash).toBe(genesisHash)
    expect(events[1]!.prevHash).toBe(events[0]!.hash)
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3])
    expect(verifyAuditChain(events)).toEqual({ ok: true, length: 3, head: events[2]!.hash })
  })

  it('detects a changed field anywhere', () => {
    const events = chain(4)
    events[2] = { ...events[2]!, details: { n: 99 } }
    expect(verifyAuditChain(events)).toMatchObject({ ok: false, brokenAt: 3 })
  })

  it('detects a removed event and a reordering', () => {
    const events = chain(4)
    expect(verifyAuditChain([events[0]!, events[2]!, events[3]!])).toMatchObject({ ok: false, brokenAt: 3 })
    expect(verifyAuditChain([events[1]!, events[0]!])).toMatchObject({ ok: false })
  })

  it('detects a re-hashed forgery because the next link no longer matches', () => {
    const events = chain(3)
    const forged = sealAuditEvent('a@b.co', events[0], { ...draft(1), action: 'agent.deleted' })
    expect(verifyAuditChain([events[0]!, forged, events[2]!])).toMatchObject({ ok: false, brokenAt: 3 })
  })

  it('with a recorded head: a chain cut short fails at the first missing seq; one that grew past it still verifies', () => {
    const events = chain(4)
    const head = { seq: 3, hash: events[2]!.hash }
    expect(verifyAuditChain(events, head)).toEqual({ ok: true, length: 4, head: events[3]!.hash })
    expect(verifyAuditChain(events.slice(0, 3), head)).toEqual({ ok: true, length: 3, head: head.hash })
    expect(verifyAuditChain(events.slice(0, 2), head)).toMatchObject({ ok: false, brokenAt: 3 })
    expect(verifyAuditChain([], head)).toMatchObject({ ok: false, brokenAt: 1 })
    expect(verifyAuditChain(events, { seq: 3, hash: events[1]!.hash })).toMatchObject({ ok: false, brokenAt: 3, reason: expect.stringContaining('recorded head') })
  })

  it('seals from the fields in sorted order what the generic canonical hash checks, escapes and nesting included', () => {
    const awkward: AuditDraft = { at: new Date(Date.UTC(2026, 5, 1)), actor: 'agent:"q"\u2028@x', action: 'grant.issued', target: 'ü\n\\', outcome: 'failure', details: { z: [{ y: 1, b: null }], a: 'é"', m: { k: true, c: 1.5 } } }
    let previous: AuditEvent | undefined
    const events: AuditEvent[] = []
    for (const d of [awkward, { ...awkward, details: {} }, draft(7)]) {
      const { event, details } = sealAuditEventText('ü@b.co', previous, d)
      expect(details).toBe(canonicalJson(d.details))
      expect(Object.keys(event).sort()).toEqual(['action', 'actor', 'at', 'details', 'handle', 'hash', 'outcome', 'prevHash', 'seq', 'target'])
      events.push(event)
      previous = event
    }
    // verifyAuditChain recomputes each hash with canonicalJson over the whole event.
    expect(verifyAuditChain(events)).toEqual({ ok: true, length: 3, head: events[2]!.hash })
    // Extra properties on a draft are neither kept nor hashed: the event is what is stored.
    const extra = sealAuditEvent('a@b.co', undefined, { ...draft(1), smuggled: 1 } as AuditDraft)
    expect(verifyAuditChain([extra])).toMatchObject({ ok: true })
  })

  it('hashes independently of key order', () => {
    expect(canonicalJson({ b: 1, a: { d: 1, c: 2 } })).toBe('{"a":{"c":2,"d":1},"b":1}')
  })
})
