import { createHash } from 'node:crypto'
import type { AuditEvent, AuditVerification } from './admin-wire.js'

/**
 * The audit chain checked here, from the events as the admin API (or a jsonl export) gives
 * them, so an auditor needs neither the broker nor its word. The same rule as the broker's
 * (packages/core/src/audit/chain.ts), re-stated because the CLI ships without @lanyard/core:
 * each `hash` is the hex SHA-256 of the canonical JSON (keys sorted at every depth) of
 * `{ handle, seq, prevHash, at, actor, action, target, outcome, details }`, `at` the ISO
 * string; the first `prevHash` is 64 zeros. A test runs it against the broker's own chain.
 */
export const genesisHash = '0'.repeat(64)

/** JSON with object keys sorted at every depth, so equal events hash equally anywhere. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  )
}

/** The hash an event of `handle`'s chain must carry. */
export function auditEventHash(handle: string, event: Omit<AuditEvent, 'hash'>): string {
  const { seq, prev_hash: prevHash, at, actor, action, target, outcome, details } = event
  return createHash('sha256').update(canonicalJson({ handle, seq, prevHash, at, actor, action, target, outcome, details })).digest('hex')
}

/**
 * Verifies a whole chain: seq from 1 without gaps, each `prev_hash` the previous `hash`, each
 * `hash` recomputed. Answers in the admin API's `verification` shape. A chain cut short at the
 * end still verifies: compare `head` with one recorded elsewhere to catch that.
 */
export function verifyAuditEvents(handle: string, events: readonly AuditEvent[]): AuditVerification {
  let previous: AuditEvent | undefined
  for (const event of events) {
    const expectedSeq = previous ? previous.seq + 1 : 1
    if (event.seq !== expectedSeq) return { ok: false, broken_at: event.seq, reason: `expected seq ${expectedSeq}` }
    if (event.prev_hash !== (previous?.hash ?? genesisHash)) return { ok: false, broken_at: event.seq, reason: 'prev_hash does not match the previous event' }
    if (auditEventHash(handle, event) !== event.hash) return { ok: false, broken_at: event.seq, reason: 'hash does not match the event' }
    previous = event
  }
  return { ok: true, length: events.length, head: previous?.hash ?? genesisHash }
}

/** One line for a verdict, as `audit --verify` and `audit verify-file` print it. */
export function verificationLine(v: AuditVerification): string {
  if (v.ok) return `chain verified: ${v.length ?? '?'} event(s)${v.head ? `, head ${v.head}` : ''}`
  return `chain BROKEN${v.broken_at === undefined ? '' : ` at seq ${v.broken_at}`}${v.reason ? `: ${v.reason}` : ''}`
}
