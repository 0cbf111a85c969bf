import type { Lanyard, Logger } from '@lanyard/core'
import type { Webhooks } from './webhooks/webhooks.js'

export interface CheckpointPublisher {
  /** Signs, stores and pushes one checkpoint now. */
  publish(): Promise<void>
  stop(): void
}

/**
 * Publishes a signed checkpoint of every audit chain head every `intervalSeconds` (0: never):
 * stored (GET /v1/audit/checkpoints) and pushed to webhooks subscribed to `audit.checkpoint`,
 * so a copy lives outside the broker's store. Each replica publishes its own; any of them
 * serves as an outside copy. A failed pass is logged and the next interval tries again.
 */
export function startCheckpoints(deps: { lanyard: Lanyard; webhooks: Webhooks; log: Logger; intervalSeconds: number }): CheckpointPublisher {
  const { lanyard, webhooks, log } = deps
  async function publish(): Promise<void> {
    const checkpoint = await lanyard.publishCheckpoint()
    const pushed = await webhooks.pushCheckpoint(checkpoint)
    log.info({ checkpoint: checkpoint.id, root: checkpoint.root, heads: checkpoint.heads.length, pushed }, 'audit checkpoint published')
  }
  const timer = deps.intervalSeconds > 0 ? setInterval(() => void publish().catch((error: unknown) => log.warn({ err: String(error) }, 'audit checkpoint not published')), deps.intervalSeconds * 1000) : undefined
  timer?.unref()
  return { publish, stop: () => clearInterval(timer) }
}
