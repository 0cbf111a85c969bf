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
  return sealAuditEventText(handle, previous, draft).event
}

/**
 * {@link sealAuditEvent}, and `details` as the canonical JSON the hash covered, for a store to
 * keep as is: the event is serialised once. The hashed text is `hashOf`'s, `canonicalJson` of
 * the event with `at` in ISO form, built from its fields (strings and a number; only `details`
 * has keys to sort) in sorted key order; chain.test.ts checks that the two agree.
 */
export function sealAuditEventText(handle: string, previous: Pick<AuditEvent, 'seq' | 'hash'> | undefined, draft: AuditDraft): { event: AuditEvent; details: string } {
  const seq = previous ? previous.seq + 1 : 1
  const prevHash = previous?.hash ?? genesisHash
  const details = canonicalJson(draft.details)
  const text = JSON.stringify
  const body = `{"action":${text(draft.action)},"actor":${text(draft.actor)},"at":${text(draft.at.toISOString())},"details":${details},"handle":${text(handle)},"outcome":${text(draft.outcome)},"prevHash":${text(prevHash)},"seq":${seq},"target":${text(draft.target)}}`
  const hash = createHash('sha256').update(body).digest('hex')
  return { event: { handle, seq, prevHash, at: draft.at, actor: draft.actor, action: draft.action, target: draft.target, outcome: draft.outcome, details: draft.details, hash }, details }
}

export type ChainVerdict = { readonly ok: true; readonly length: number; readonly head: string } | { readonly ok: false; readonly brokenAt: number; readonly reason: string }

/** The newest event of a chain as the store records it beside the agent, written in the same transaction as the event. */
export interface ChainHead {
  readonly seq: number
  readonly hash: string
}

/**
 * Verifies a whole chain offline: sequence without gaps from 1, each `prevHash` the previous
 * `hash`, each `hash` recomputed. Tampering with any field of any event breaks it there.
 * With `head` (the head the store keeps beside the agent, or one from a signed checkpoint) the
 * chain must also reach it: an event at `head.seq` whose hash is `head.hash`. So a chain cut
 * short at the end fails at the first missing seq. Events after `head` are allowed (appended
 * since the head was read), provided they chain on.
 */
export function verifyAuditChain(events: readonly AuditEvent[], head?: ChainHead): ChainVerdict {
  let previous: AuditEvent | undefined
  for (const event of events) {
    const expectedSeq = previous ? previous.seq + 1 : 1
    if (event.seq !== expectedSeq) return { ok: false, brokenAt: event.seq, reason: `expected seq ${expectedSeq}` }
    if (event.prevHash !== (previous?.hash ?? genesisHash)) return { ok: false, brokenAt: event.seq, reason: 'prevHash does not match the previous event' }
    const { hash, ...rest } = event
    if (hashOf(rest) !== hash) return { ok: false, brokenAt: event.seq, reason: 'hash does not match the event' }
    if (head !== undefined && event.seq === head.seq && hash !== head.hash) return { ok: false, brokenAt: event.seq, reason: `hash differs from the recorded head ${head.hash}` }
    previous = event
  }
  const length = previous?.seq ?? 0
  if (head !== undefined && length < head.seq) {
    return { ok: false, brokenAt: length + 1, reason: `the chain ends at seq ${length} but the recorded head is seq ${head.seq}: events ${length + 1}..${head.seq} are missing (cut off the end)` }
  }
  return { ok: true, length: events.length, head: previous?.hash ?? genesisHash }
}
