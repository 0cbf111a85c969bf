import { Agent } from 'node:http'
import { randomBytes } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { createTestAgent, jwtType, tokenExchange, type TestAgent } from '../support/agent.js'
import type { BrokerClient } from '../support/broker.js'
import { send } from './load.js'
import { startBrokers } from './processes.js'
import { record } from './results.js'

export interface CascadeBenchOptions {
  readonly grants: number
  readonly agents: number
  readonly systems: number
  /** The memory connector's simulated upstream round trip. */
  readonly latencyMs: number
  /** The broker's `cascade.concurrency`. */
  readonly concurrency: number
  /** Exchanges in flight while the grants are created (not measured). */
  readonly setupConcurrency: number
  /** `cascade.proveRevocation`: probe each revoked credential (a second round trip per grant). */
  readonly prove: boolean
}

/** Runs `task(0..count-1)` with at most `limit` at once. */
async function pool(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await task(next++)
    }),
  )
}

interface Job {
  id: string
  status: string
  finished_at?: string
  tasks: Array<{ status: string; outcome?: { kind: string; proof?: string } }>
}

/** Polls the jobs one at a time, lightly (the broker is busy), until every one is done. */
async function waitForJobs(client: BrokerClient, ids: readonly string[], deadline: number): Promise<Job[]> {
  const done: Job[] = []
  for (const id of ids) {
    for (;;) {
      const job = (await client.admin('GET', `/v1/revocations/${id}`)).body as Job
      if (job.status === 'done') {
        done.push(job)
        break
      }
      if (Date.now() > deadline) throw new Error(`revocation ${id} still running at the deadline`)
      await delay(200)
    }
  }
  return done
}

/**
 * The revocation cascade: `grants` live grants spread over agents and `memory` systems with a
 * simulated upstream round trip, one owner revoke over every agent, time until every job is
 * done; against the ideal `grants / concurrency x latency`.
 */
export async function cascadeBench(options: CascadeBenchOptions): Promise<void> {
  const systems = Array.from({ length: options.systems }, (_, i) => ({ name: `mem-${i + 1}`, type: 'memory', upstream: `bench-${randomBytes(4).toString('hex')}`, latencyMs: options.latencyMs }))
  const brokers = await startBrokers({ store: 'sqlite', config: { cascade: { concurrency: options.concurrency, proveRevocation: options.prove }, systems } })
  const http = new Agent({ keepAlive: true, maxSockets: options.setupConcurrency })
  try {
    const { client, process } = brokers.replicas[0]!
    const setupStarted = Date.now()
    // (1) Agents, each bound to every system; all have the one owner createTestAgent gives them.
    const bindings = systems.map(({ name }) => ({ system: name, target: { account: 'default' }, ceiling: ['read'] }))
    const agents: Array<{ agent: TestAgent; handleToken: string }> = []
    await pool(options.agents, 8, async () => {
      const agent = await createTestAgent(client, { bindings })
      agents.push({ agent, handleToken: await agent.token() })
    })
    // (2) The grants: exchanges at high concurrency, round robin over agents and systems.
    const url = new URL(process.url)
    await pool(options.grants, options.setupConcurrency, async (i) => {
      const { handleToken } = agents[i % agents.length]!
      const system = systems[i % systems.length]!.name
      const body = new URLSearchParams({ grant_type: tokenExchange, subject_token: handleToken, subject_token_type: jwtType, resource: `urn:lanyard:system:${system}`, scope: 'read' }).toString()
      const answer = await send(http, url, { path: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
      if (answer.status !== 200) throw new Error(`exchange ${i}: ${answer.status} ${answer.body.slice(0, 200)}`)
    })
    const setupMs = Date.now() - setupStarted

    // (3) Measured: from the owner revoke call to the moment every job is done.
    const owner = (await client.admin('GET', `/v1/agents/${encodeURIComponent(agents[0]!.agent.handle)}`)).body.owner as string
    const started = Date.now()
    const revoked = await client.admin('POST', `/v1/owners/${encodeURIComponent(owner)}/revoke`, { reason: 'bench: cascade' })
    const revokeReturnedMs = Date.now() - started
    if (revoked.status !== 202) throw new Error(`owner revoke: ${revoked.status} ${JSON.stringify(revoked.body)}`)
    const ids = (revoked.body.revocations as Array<{ id: string }>).map((r) => r.id)
    const jobs = await waitForJobs(client, ids, started + 300_000)
    const observedMs = Date.now() - started
    // The broker's own finish times: free of the polling interval.
    const totalMs = Math.max(...jobs.map((job) => Date.parse(job.finished_at!))) - started

    const tasks = jobs.flatMap((job) => job.tasks)
    const outcomes = new Map<string, number>()
    for (const task of tasks) {
      const key = `${task.outcome?.kind ?? 'none'}${task.outcome?.proof ? `/${task.outcome.proof}` : ''}`
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1)
    }
    // The ideal counts the upstream round trips each task makes: revoke, plus probe when proving.
    const trips = options.prove ? 2 : 1
    const idealMs = (tasks.length / options.concurrency) * options.latencyMs * trips
    const ratio = totalMs / idealMs
    const expected = options.prove ? 'revoked/dead' : 'revoked'
    record({
      bench: 'cascade',
      store: 'sqlite',
      subject: options.prove ? 'owner revoke, proofs on' : 'owner revoke',
      unit: 'ms',
      grants: tasks.length,
      agents: agents.length,
      systems: systems.length,
      latency_ms: options.latencyMs,
      concurrency: options.concurrency,
      total_ms: totalMs,
      observed_ms: observedMs,
      revoke_call_ms: revokeReturnedMs,
      round_trips_per_grant: trips,
      ideal_ms: idealMs,
      ratio,
      outcomes: [...outcomes].map(([kind, n]) => `${kind}=${n}`).join(','),
      setup_ms: setupMs,
      target: `<= 1.5x ideal (grants / concurrency x latency x ${trips} round trip${trips === 2 ? 's: revoke + probe' : ''})`,
      pass: ratio <= 1.5 && tasks.length === options.grants && outcomes.get(expected) === tasks.length,
    })
  } finally {
    http.destroy()
    await brokers.stop()
  }
}
