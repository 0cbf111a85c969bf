import { performance } from 'node:perf_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import { createTestAgent, jwtBearer, jwtType, tokenExchange, type TestAgent } from '../support/agent.js'
import type { TestBroker } from '../support/broker.js'
import { eventually } from '../support/memory.js'
import { sharedRedisUrl, startCluster, startRaceReplicas } from '../support/replicas.js'

// DESIGN, Consistency: "once a revoke has returned, no replica can record a new grant for that
// agent: by construction, not by timing". Three replicas on one Redis (and on a Redis Cluster)
// exchange continuously for one agent, several requests in flight at each; the agent is revoked
// through one of them. Every exchange is timed on the client: one that started after the revoke
// call returned must have been refused, on every replica. The cascade, leased by whichever replica
// gets each task, then leaves nothing alive at the upstream, which all replicas share in-process.

interface Attempt {
  readonly replica: number
  /** performance.now() before the request (for `fresh`, before authenticating) was sent. */
  readonly startedAt: number
  readonly endedAt: number
  readonly status: number
  readonly error?: string
  readonly grantId?: string
  readonly token?: string
}

const workersPerReplica = { reusingToken: 3, authenticatingEachTime: 1 }
const coverage = { successesBefore: 3, refusalsAfter: 5 }

/** Exchanges at `at` in a loop until `stopped()`, recording each. No `token`: authenticate each time. */
async function worker(at: TestBroker, replica: number, agent: TestAgent, token: string | undefined, attempts: Attempt[], stopped: () => boolean): Promise<void> {
  while (!stopped()) {
    const startedAt = performance.now()
    let subject = token
    if (subject === undefined) {
      const authenticated = await at.form('/oauth/token', { grant_type: jwtBearer, assertion: await agent.assertion() })
      if (authenticated.status !== 200) {
        attempts.push({ replica, startedAt, endedAt: performance.now(), status: authenticated.status, error: authenticated.body?.error })
        continue
      }
      subject = authenticated.body.access_token as string
    }
    const answer = await at.form('/oauth/token', { grant_type: tokenExchange, subject_token: subject, subject_token_type: jwtType, resource: 'urn:lanyard:system:mem', scope: 'read' })
    attempts.push({ replica, startedAt, endedAt: performance.now(), status: answer.status, error: answer.body?.error, grantId: answer.body?.grant_id, token: answer.body?.access_token })
  }
}

async function revocationUnderLoad(redis: { urls: string[]; cluster: boolean }): Promise<void> {
  const { replicas, mem } = await startRaceReplicas(redis, cleanups)
  const [first, second, third] = replicas
  const agent = await createTestAgent(first, { bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling: ['read'] }] })

  const attempts: Attempt[] = []
  let stop = false
  const workers: Promise<void>[] = []
  for (const [index, replica] of replicas.entries()) {
    const token = (await replica.form('/oauth/token', { grant_type: jwtBearer, assertion: await agent.assertion() })).body.access_token as string
    for (let i = 0; i < workersPerReplica.reusingToken; i++) workers.push(worker(replica, index, agent, token, attempts, () => stop))
    for (let i = 0; i < workersPerReplica.authenticatingEachTime; i++) workers.push(worker(replica, index, agent, undefined, attempts, () => stop))
  }

  let revokeSentAt = Number.POSITIVE_INFINITY
  let revokeReturnedAt = Number.POSITIVE_INFINITY
  let revocationId = ''
  const countAt = (replica: number, predicate: (a: Attempt) => boolean) => attempts.filter((a) => a.replica === replica && predicate(a)).length
  try {
    await eventually(() => replicas.every((_, i) => countAt(i, (a) => a.status === 200) >= coverage.successesBefore))
    revokeSentAt = performance.now()
    const revoked = await second.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'replica revocation guarantee' })
    revokeReturnedAt = performance.now()
    expect(revoked.status).toBe(202)
    revocationId = revoked.body.revocation.id as string
    // Keep the load on until every replica has refused several exchanges begun after the return.
    await eventually(() => replicas.every((_, i) => countAt(i, (a) => a.startedAt > revokeReturnedAt) >= coverage.refusalsAfter))
  } finally {
    stop = true
    await Promise.all(workers)
  }

  // (1) The guarantee: nothing begun after the revoke returned was issued, on any replica, and
  // each refusal is the agent's status (invalid_grant), not an outage or a rate limit.
  const after = attempts.filter((a) => a.startedAt > revokeReturnedAt)
  expect(after.filter((a) => a.status === 200)).toEqual([])
  expect(new Set(after.map((a) => `${a.status} ${a.error}`))).toEqual(new Set(['400 invalid_grant']))
  for (const [index] of replicas.entries()) expect(countAt(index, (a) => a.status === 200 && a.startedAt < revokeReturnedAt)).toBeGreaterThanOrEqual(coverage.successesBefore)
  // The race was on: exchanges were in flight while the revoke was being committed.
  expect(attempts.filter((a) => a.startedAt < revokeSentAt && a.endedAt > revokeSentAt).length).toBeGreaterThan(0)

  // (2) The cascade: one task per grant live or in flight at the revoke; the job finishes.
  const issued = attempts.filter((a) => a.status === 200)
  await eventually(async () => (await third.admin('GET', `/v1/revocations/${revocationId}`)).body.status === 'done', 20_000)
  const job = (await third.admin('GET', `/v1/revocations/${revocationId}`)).body
  const tasked = new Set(job.tasks.map((task: { grant_id: string }) => task.grant_id))
  expect(issued.filter((a) => !tasked.has(a.grantId))).toEqual([])
  expect(job.tasks.filter((task: { outcome?: { kind: string } }) => task.outcome?.kind !== 'revoked')).toEqual([])

  // (3) Every credential the upstream issued is dead there, and the ledger agrees.
  expect(issued.filter((a) => mem.upstream.introspect(a.token!).active)).toEqual([])
  expect(mem.upstream.liveCount()).toBe(0)
  const grants = (await first.admin('GET', `/v1/agents/${agent.handle}/grants`)).body.grants as Array<{ id: string; status: string }>
  expect(grants.filter((grant) => grant.status === 'live' || grant.status === 'pending')).toEqual([])
  const audit = (await third.admin('GET', `/v1/agents/${agent.handle}/audit?verify=1&limit=1000`)).body
  expect(audit.verification.ok).toBe(true)
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe('a revoke returned at one replica refuses the agent at every replica', () => {
  it('three replicas on one Redis', async () => {
    await revocationUnderLoad({ urls: [sharedRedisUrl], cluster: false })
  })

  it('three replicas on a three-master Redis Cluster', async () => {
    const cluster = await startCluster()
    cleanups.push(() => cluster.stop())
    await revocationUnderLoad({ urls: cluster.nodes.map((node) => `redis://${node.host}:${node.port}`), cluster: true })
  })
})
