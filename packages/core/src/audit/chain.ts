import { createHash } from 'node:crypto'
import type { AuditDraft, AuditEvent } from './event.js'

/** The `prevHash` of an agent's first event. */
export const genesisHash = '0'.repeat(64)

/** JSON with object keys sorted at every depth, so equal events hash equally anywhere. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  )
}

function hashOf(event: Omit<AuditEvent, 'hash'>): string {
  const body = canonicalJson({ ...event, at: event.at.toISOString() })
  return createHash('sha256').update(body).digest('hex')
}

/**
 * Links a draft after `previous` (undefined for the agent's first event). Pure: stores call it
 * inside the transaction that reads the chain's head, so two appends cannot share a `seq`.
 */
export function sealAuditEvent(handle: string, previous: Pick<AuditEvent, 'seq' | 'hash'> | undefined, draft: AuditDraft): AuditEvent {
  const unsealed = { handle, seq: previous ? previous.seq + 1 : 1, prevHash: previous?.hash ?? genesisHash, ...draft }
  return { ...unsealed, hash: hashOf(unsealed) }
}

export type ChainVerdict = { readonly ok: true; readonly length: number; readonly head: string } | { readonly ok: false; readonly brokenAt: number; readonly reason: string }

/**
 * Verifies a whole chain offline: sequence without gaps from 1, each `prevHash` the previous
 * `hash`, each `hash` recomputed. Tampering with any field of any event breaks it there.
 */
export function verifyAuditChain(events: readonly AuditEvent[]): ChainVerdict {
  let previous: AuditEvent | undefined
  for (const event of events) {
    const expectedSeq = previous ? previous.seq + 1 : 1
    if (event.seq !== expectedSeq) return { ok: false, brokenAt: event.seq, reason: `expected seq ${expectedSeq}` }
    if (event.prevHash !== (previous?.hash ?? genesisHash)) return { ok: false, brokenAt: event.seq, reason: 'prevHash does not match the previous event' }
    const { hash, ...rest } = event
    if (hashOf(rest) !== hash) return { ok: false, brokenAt: event.seq, reason: 'hash does not match the event' }
    previous = event
  }
  return { ok: true, length: events.length, head: previous?.hash ?? genesisHash }
}
