import type { ChainHead } from '../../audit/chain.js'
import type { AuditDraft, AuditEvent } from '../../audit/event.js'

/** Each agent's hash-chained audit log. Conformance: `testing/store/audit.ts`. */
export interface AuditStore {
  /** Appends one event to the agent's chain (seq and hashes assigned atomically). */
  appendAudit(handle: string, audit: AuditDraft): Promise<AuditEvent>
  /** Events in seq order, from `afterSeq` + 1. */
  readAudit(handle: string, options?: { afterSeq?: number; limit?: number }): Promise<AuditEvent[]>
  /**
   * The chain's head (seq and hash of its newest event), kept with the agent record and written
   * in the same transaction as each event; undefined for an unknown agent. Verification checks
   * the chain reaches it, so deleting the newest events is caught.
   */
  readAuditHead(handle: string): Promise<ChainHead | undefined>
}
