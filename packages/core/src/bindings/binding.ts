import type { ApprovalPolicy } from '../approvals/approval.js'
/**
 * `active` exchanges; `revoked` (by `POST .../bindings/{system}/revoke`) exchanges nothing until an
 * admin binds the system again, on purpose, which writes a new binding.
 */
export type BindingStatus = 'active' | 'revoked'

/** Agent x system -> the target the connector mints for, and the ceiling no request can exceed. */
export interface Binding {
  readonly id: string
  readonly handle: string
  readonly system: string
  /** Connector-specific, validated (and normalised) by the connector at bind time. JSON. */
  readonly target: unknown
  /** Every scope the agent may ever be granted in this system. */
  readonly ceiling: readonly string[]
  /** Agents below this trust tier exchange nothing through this binding. */
  readonly minTier: number
  /** Exchanges this policy names wait for a person's approval (approvals/approval.ts). */
  readonly approval?: ApprovalPolicy
  readonly createdAt: Date
  /** Absent: `active` (records written before binding statuses, and new bindings). */
  readonly status?: BindingStatus
  readonly revokedAt?: Date
  /**
   * The connector's `exclusiveTargetKey(target)` (e.g. the OAuth client id): no two agents hold
   * an active binding with the same key on one system (BindingConflict).
   */
  readonly exclusiveKey?: string
  /** The agent may hand this binding, narrowed, to children it spawns (#17). Absent: false. */
  readonly delegable?: boolean
}
