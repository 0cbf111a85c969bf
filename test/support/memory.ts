import { randomUUID } from 'node:crypto'
import { createMemoryUpstream, type MemoryUpstream } from '@lanyard/connector-sdk'

/** A fresh, named in-process upstream and the `systems[]` entry of a broker that uses it. */
export function memorySystem(name = 'mem', options: { latencyMs?: number; revokeWith?: 'ref' | 'secret'; accounts?: string[] } = {}): { upstream: MemoryUpstream; system: Record<string, unknown> } {
  const upstreamName = `${name}-${randomUUID()}`
  const upstream = createMemoryUpstream({ name: upstreamName, accounts: options.accounts ?? ['acme'] })
  return {
    upstream,
    system: { name, type: 'memory', upstream: upstreamName, ...(options.latencyMs === undefined ? {} : { latencyMs: options.latencyMs }), ...(options.revokeWith === undefined ? {} : { revokeWith: options.revokeWith }) },
  }
}

/** Polls `check` until it returns true (the cascade runs in the background), up to `timeoutMs`. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
