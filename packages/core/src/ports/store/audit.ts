import type { AuditDraft, AuditEvent } from '../../audit/event.js'

/** Each agent's hash-chained audit log. Conformance: `testing/store/audit.ts`. */
export interface AuditStore {
  /** Appends one event to the agent's chain (seq and hashes assigned atomically). */
  appendAudit(handle: string, audit: AuditDraft): Promise<AuditEvent>
  /** Events in seq order, from `afterSeq` + 1. */
  readAudit(handle: string, options?: { afterSeq?: number; limit?: number }): Promise<AuditEvent[]>
}
