import type { ApprovalPolicy } from '../approvals/approval.js'

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
}
