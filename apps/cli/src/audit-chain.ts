import { verifyAuditChain } from '@lanyard/core'
import type { AuditEvent, AuditVerification } from './admin-wire.js'

/**
 * The audit chain checked here, from the events as the admin API (or a jsonl export) gives
 * them, so an auditor needs neither the broker nor its word: the broker's own rule
 * (`verifyAuditChain` of @lanyard/core), run in the CLI's process on the wire events. A chain
 * cut short at the end still verifies: compare `head` with one recorded elsewhere.
 */
export function verifyAuditEvents(handle: string, events: readonly AuditEvent[]): AuditVerification {
  const unreadable = events.find((e) => Number.isNaN(new Date(e.at).getTime()))
  if (unreadable !== undefined) return { ok: false, broken_at: unreadable.seq, reason: '"at" is not a time' }
  const verdict = verifyAuditChain(
    // Fields are hashed as they came: a wrong type or value just fails the hash.
    events.map((e) => ({ handle, seq: e.seq, prevHash: e.prev_hash, hash: e.hash, at: new Date(e.at), actor: e.actor, action: e.action, target: e.target, outcome: e.outcome as 'success', details: e.details as Record<string, unknown> })),
  )
  return verdict.ok ? { ok: true, length: verdict.length, head: verdict.head } : { ok: false, broken_at: verdict.brokenAt, reason: verdict.reason }
}

/** One line for a verdict, as `audit --verify` and `audit verify-file` print it. */
export function verificationLine(v: AuditVerification): string {
  if (v.ok) return `chain verified: ${v.length ?? '?'} event(s)${v.head ? `, head ${v.head}` : ''}`
  return `chain BROKEN${v.broken_at === undefined ? '' : ` at seq ${v.broken_at}`}${v.reason ? `: ${v.reason}` : ''}`
}
