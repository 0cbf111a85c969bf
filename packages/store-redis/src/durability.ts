import { Cluster } from 'ioredis'
import { ConfigInvalid, StoreUnavailable } from '@lanyard/core'
import type { RedisClient, ReplicaWait } from './connection.js'

/**
 * What an acknowledged write survives, as the operator chose it (`store.durability`):
 * (1) `fsync` (the default): every node runs `appendonly yes` with `appendfsync always`, so a
 *     write Redis answered is in its append-only file on disk; a killed or restarted Redis
 *     comes back with it. Checked at start.
 * (2) `{ replicas, timeoutMs }`: each write that records a grant, a revocation or an audit event
 *     is acknowledged by `replicas` replicas (WAIT) before the store answers; a wait that falls
 *     short fails closed (StoreUnavailable: the caller is told nothing was promised). A write
 *     survives the primary's death when a replica that acknowledged it is promoted. Persistence
 *     of each node is the operator's; it is not checked.
 * (3) `volatile`: no promise. Redis's defaults (no AOF, asynchronous replicas) lose what was
 *     acknowledged in the last second or more; for tests and demos, said on purpose.
 */
export type Durability = 'fsync' | 'volatile' | { readonly replicas: number; readonly timeoutMs: number }

/** Replica acknowledgement required after each write, or undefined. */
export function replicasRequired(durability: Durability): ReplicaWait | undefined {
  return typeof durability === 'object' ? durability : undefined
}

function nodesOf(client: RedisClient): Array<{ name: string; client: RedisClient }> {
  if (!(client instanceof Cluster)) return [{ name: `${client.options.host ?? '127.0.0.1'}:${client.options.port ?? 6379}`, client }]
  return client.nodes('master').map((node) => ({ name: `${node.options.host ?? '127.0.0.1'}:${node.options.port ?? 6379}`, client: node }))
}

/** `CONFIG GET name` as a string, or a ConfigInvalid saying the server does not allow it. */
async function configValue(node: { name: string; client: RedisClient }, name: string): Promise<string> {
  let reply: unknown
  try {
    reply = await node.client.call('CONFIG', 'GET', name)
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    // A reply error (renamed or disabled command, or an ACL without +config|get): the server
    // is there but will not say how it persists, so safety cannot be shown.
    if (error instanceof Error && error.name === 'ReplyError') {
      throw new ConfigInvalid([
        `store.durability: cannot read Redis persistence at ${node.name}: CONFIG GET ${name} was refused (${message.split('\n')[0]}). Allow CONFIG GET for the broker's Redis user, or set store.durability to { replicas, timeoutMs } or to volatile`,
      ])
    }
    throw new StoreUnavailable({ detail: `reading Redis persistence at ${node.name}: ${message}` })
  }
  const pairs = Array.isArray(reply) ? reply.map(String) : []
  const at = pairs.indexOf(name)
  return at >= 0 && at + 1 < pairs.length ? pairs[at + 1]! : ''
}

/**
 * Refuses, before the store serves, a Redis that could lose an acknowledged write under the
 * chosen durability: with `fsync`, any master whose `appendonly` is not `yes` or whose
 * `appendfsync` is not `always`. The error names the node and the setting. Nothing is checked
 * for `volatile` or for replica acknowledgement (there, WAIT decides per write).
 */
export async function checkDurability(client: RedisClient, durability: Durability): Promise<void> {
  if (durability !== 'fsync') return
  const issues: string[] = []
  for (const node of nodesOf(client)) {
    const appendonly = await configValue(node, 'appendonly')
    const appendfsync = await configValue(node, 'appendfsync')
    if (appendonly !== 'yes') issues.push(`store.durability: Redis at ${node.name} has appendonly ${appendonly || '(unset)'}: a restart loses every write it acknowledged. Set appendonly yes and appendfsync always, or require replica acknowledgement (store.durability: { replicas, timeoutMs }), or say store.durability: volatile to run like this on purpose`)
    else if (appendfsync !== 'always') issues.push(`store.durability: Redis at ${node.name} has appendfsync ${appendfsync || '(unset)'}: a crash loses the writes of the last second it acknowledged. Set appendfsync always, or require replica acknowledgement (store.durability: { replicas, timeoutMs }), or say store.durability: volatile to run like this on purpose`)
  }
  if (issues.length > 0) throw new ConfigInvalid(issues)
}
