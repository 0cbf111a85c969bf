import { signCheckpoint } from '../audit/checkpoint.js'
import type { Clock } from '../ports/clock.js'
import type { AuditCheckpoint, CheckpointStore } from '../ports/store/index.js'
import type { KeyRing } from '../tokens/key-ring.js'

/** Signed checkpoints of every audit chain head (the broker publishes one per interval). */
export interface CheckpointService {
  /** Signs and stores a checkpoint over every chain head now. */
  publishCheckpoint(): Promise<AuditCheckpoint>
  /** Latest first. */
  listCheckpoints(limit: number): Promise<AuditCheckpoint[]>
}

export function createCheckpointService(deps: { store: CheckpointStore; keys: KeyRing; clock: Clock; issuer: string }): CheckpointService {
  const { store, keys, clock, issuer } = deps
  return {
    async publishCheckpoint() {
      const checkpoint = await signCheckpoint(keys, issuer, await store.listAuditHeads(), clock.now())
      await store.putCheckpoint(checkpoint)
      return checkpoint
    },
    listCheckpoints: (limit) => store.listCheckpoints(limit),
  }
}
