import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AuditDraft, Binding, Store } from '@lanyard/core'
import { createSqliteStore } from '@lanyard/store-sqlite'
import { v7 as timeOrderedUuid } from 'uuid'
import { percentile } from './load.js'

// A calibration of the exchange bench, in its own process: the embedded store doing exactly the
// store calls of one exchange (core's exchange.ts: revoked-token check, binding read, grant
// `pending` with its audit event, grant `live` with its index and audit event), for `agents`
// agents, `concurrency` exchanges in flight, no HTTP, no token check, no connector. What the
// ledger alone allows, as shipped (WAL, synchronous=FULL, group commit). Prints `result <json>`.
const agents = Number(process.env.BENCH_LEDGER_AGENTS ?? 8)
const concurrency = Number(process.env.BENCH_LEDGER_CONCURRENCY ?? 16)
const warmupMs = Number(process.env.BENCH_LEDGER_WARMUP_MS ?? 1000)
const measureMs = Number(process.env.BENCH_LEDGER_MEASURE_MS ?? 5000)

const dir = mkdtempSync(join(tmpdir(), 'lanyard-ledger-'))
const store = await createSqliteStore({ path: join(dir, 'lanyard.db') })
const draft = (action: string, handle: string, target: string, details: Record<string, unknown>): AuditDraft => ({ at: new Date(), actor: `agent:${handle}`, action, target, outcome: 'success', details })

const bindings: Binding[] = []
for (let i = 0; i < agents; i++) {
  const handle = `ledger-${i}@agents.bench.test`
  const at = new Date()
  await store.createAgent({ handle, owner: 'bench@acme.test', status: 'active', tier: 1, generation: 1, labels: {}, createdAt: at, updatedAt: at }, draft('agent.created', handle, handle, {}))
  const binding: Binding = { id: timeOrderedUuid(), handle, system: 'mem', target: { account: 'default' }, ceiling: ['read'], minTier: 0, createdAt: at }
  await store.putBinding(binding, draft('binding.created', handle, binding.id, { system: 'mem' }))
  bindings.push(binding)
}

async function exchange(store: Store, binding: Binding): Promise<void> {
  const { handle } = binding
  if (await store.isTokenRevoked(timeOrderedUuid(), new Date())) throw new Error('revoked')
  if ((await store.getBinding(handle, 'mem')) === undefined) throw new Error('no binding')
  const id = timeOrderedUuid()
  const scopes = ['read']
  await store.beginGrant({ id, handle, bindingId: binding.id, system: 'mem', connectorType: 'memory', scopes, status: 'pending', createdAt: new Date(), index: {} }, 1, draft('grant.requested', handle, id, { system: 'mem', scopes }))
  const token = randomBytes(24).toString('base64url')
  const expiresAt = new Date(Date.now() + 300_000)
  const index = { memory_token_sha256: createHash('sha256').update(token).digest('hex') }
  await store.settleGrant(handle, id, { status: 'live', expiresAt, ref: { account: 'default', tokenId: token.slice(0, 12) }, index: { ...index, grant_id: id } }, draft('grant.issued', handle, id, { system: 'mem', scopes, expires_at: expiresAt.toISOString(), ...index }))
}

async function loop(ms: number): Promise<number[]> {
  const latencies: number[] = []
  const end = performance.now() + ms
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const started = performance.now()
        await exchange(store, bindings[next++ % bindings.length]!)
        latencies.push(performance.now() - started)
      }
    }),
  )
  return latencies
}

await loop(warmupMs)
// This process's CPU (user + system) per exchange over the window, like the servers' column.
const cpuBefore = process.cpuUsage()
const latencies = (await loop(measureMs)).sort((a, b) => a - b)
const cpu = process.cpuUsage(cpuBefore)
process.stdout.write(`result ${JSON.stringify({ requests: latencies.length, throughput: latencies.length / (measureMs / 1000), p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), cpuUsPerOp: (cpu.user + cpu.system) / latencies.length })}\n`)
await store.close()
rmSync(dir, { recursive: true, force: true })
