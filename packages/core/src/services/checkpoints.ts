import { signCheckpoint } from '../audit/checkpoint.js'
import type { Clock } from '../ports/clock.js'
import { adminAuditChain } from '../admins/principal.js'
import type { AdminStore, AuditCheckpoint, CheckpointStore } from '../ports/store/index.js'
import type { KeyRing } from '../tokens/key-ring.js'

/**
 * Signed checkpoints of every audit chain head (the broker publishes one per interval): every
 * agent's, and the broker-wide admin chain's (as `@admins`), so a cut tail of either is caught.
 */
export interface CheckpointService {
  /** Signs and stores a checkpoint over every chain head now. */
  publishCheckpoint(): Promise<AuditCheckpoint>
  /** Latest first. */
  listCheckpoints(limit: number): Promise<AuditCheckpoint[]>
}

export function createCheckpointService(deps: { store: CheckpointStore & AdminStore; keys: KeyRing; clock: Clock; issuer: string }): CheckpointService {
  const { store, keys, clock, issuer } = deps
  return {
    async publishCheckpoint() {
      const [agents, admins] = await Promise.all([store.listAuditHeads(), store.readAdminAuditHead()])
      const heads = admins === undefined ? agents : [...agents, { handle: adminAuditChain, seq: admins.seq, hash: admins.hash }]
      const checkpoint = await signCheckpoint(keys, issuer, heads, clock.now())
      await store.putCheckpoint(checkpoint)
      return checkpoint
    },
    listCheckpoints: (limit) => store.listCheckpoints(limit),
  }
}
