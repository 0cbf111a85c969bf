/** One agent's chain head as a checkpoint lists it. */
export interface AgentChainHead {
  readonly handle: string
  readonly seq: number
  readonly hash: string
}

/**
 * A signed tree head over every agent's audit chain head, published at an interval so that a
 * copy lives outside the store: `root` is SHA-256 over the canonical JSON of `heads` sorted by
 * handle (audit/checkpoint.ts), `token` the broker's JWS over it (typ lanyard-audit-checkpoint+jwt).
 */
export interface AuditCheckpoint {
  readonly id: string
  readonly at: Date
  readonly root: string
  readonly heads: readonly AgentChainHead[]
  readonly token: string
}

/** Chain heads of all agents, and the checkpoints signed over them. Conformance: `testing/store/checkpoints.ts`. */
export interface CheckpointStore {
  /** Every agent's chain head, sorted by handle (agents with no event yet are left out). */
  listAuditHeads(): Promise<AgentChainHead[]>
  /** Records a checkpoint; putting the same one again changes nothing. */
  putCheckpoint(checkpoint: AuditCheckpoint): Promise<void>
  /** Latest first (by `at`, then id), at most `limit`. */
  listCheckpoints(limit: number): Promise<AuditCheckpoint[]>
}
