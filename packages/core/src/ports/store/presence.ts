import type { AuditDraft } from '../../audit/event.js'

/** Whether the agent answers at its handle (WebFinger, card, status). Private by default. */
export type PresenceVisibility = 'public' | 'private'

/**
 * What an agent shows the world at its handle. Stored beside the agent, one per handle; an
 * agent without a record is `private` with nothing to show.
 */
export interface AgentPresence {
  readonly handle: string
  readonly presence: PresenceVisibility
  /** A2A `name`; the handle when absent. */
  readonly displayName?: string
  /** A2A `description`. */
  readonly description?: string
  /** Where misuse is reported besides the broker: an https URL or a `mailto:` address. */
  readonly escalationContact?: string
  readonly updatedAt: Date
}

/**
 * A misuse report about an agent, sent unauthenticated to `POST /agents/{handle}/report`.
 * Holds what the reporter wrote and a one-way digest of where it came from, never the address.
 */
export interface MisuseReport {
  readonly id: string
  readonly handle: string
  readonly receivedAt: Date
  /** Hex SHA-256 of the source address (salted by the issuer): groups reports by source without keeping it. */
  readonly sourceDigest: string
  /** A short word chosen by the reporter: `impersonation`, `abuse`, `spam`, `other`. */
  readonly category: string
  /** Free text, capped by the broker before it gets here. */
  readonly text: string
  /** Where the reporter can be reached, if they said. */
  readonly contact?: string
  /** What the reporter saw: a URL, a message id, a statement. */
  readonly evidence?: string
}

/** Agents' presence profiles and the misuse reports about them. Conformance: `testing/store/presence.ts`. */
export interface PresenceStore {
  /** Atomic: creates or replaces the agent's presence and appends `audit`. AgentNotFound if there is no such agent. */
  putPresence(presence: AgentPresence, audit: AuditDraft): Promise<void>
  /** Undefined when the agent has none (or does not exist). */
  getPresence(handle: string): Promise<AgentPresence | undefined>
  /**
   * Records a report. AgentNotFound if there is no such agent. Appends no audit event: a report
   * is an outsider's claim, not a change of the agent, and an unauthenticated flood must not
   * grow the agent's audit chain. Idempotent on (handle, id).
   */
  addReport(report: MisuseReport): Promise<void>
  /** Newest first (by `receivedAt`, then id), at most `limit` (all when absent). Empty for an unknown agent. */
  listReports(handle: string, limit?: number): Promise<MisuseReport[]>
}
