import { performance } from 'node:perf_hooks'
import { afterEach, describe, expect, it } from 'vitest'
import { createAgentClient } from '@lanyard/client'
import { createTestAgent, jwtType, tokenExchange, uniqueHandle } from '../support/agent.js'
import { eventually } from '../support/memory.js'
import { sharedRedisUrl, startCluster, startRaceReplicas } from '../support/replicas.js'

// #17 "A race": three replicas on one Redis; a grandchild exchanges on all three while its
// grandparent is revoked through one of them. Nothing begun after the 202 is issued, and every
// grant the grandchild was issued is a task of its part of the tree cut (no grant outside the job).

interface Attempt {
  readonly replica: number
  readonly startedAt: number
  readonly status: number
  readonly error?: string
  readonly grantId?: string
  readonly token?: string
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function treeRace(redis: { urls: string[]; cluster: boolean }): Promise<void> {
  const { replicas, mem } = await startRaceReplicas(redis, cleanups)
  const [first, second, third] = replicas
  const root = await createTestAgent(first, { handle: uniqueHandle('root'), bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling: ['read'], delegable: true } as never] })
  const child = await first.admin('POST', `/v1/agents/${root.handle}/children`, { name: 'c', ceilings: { mem: ['read'] } }, await root.token())
  const childToken = await createAgentClient({ brokerUrl: first.url, handle: child.body.handle, privateKey: { ...child.body.private_jwk, alg: 'EdDSA' }, dpop: false }).token()
  const grand = await third.admin('POST', `/v1/agents/${child.body.handle}/children`, { name: 'g', ceilings: { mem: ['read'] } }, childToken)
  expect(grand.status).toBe(201)
  const grandHandle = grand.body.handle as string

  const attempts: Attempt[] = []
  let stop = false
  const workers: Promise<void>[] = []
  for (const [index, replica] of replicas.entries()) {
    const sdk = createAgentClient({ brokerUrl: replica.url, handle: grandHandle, privateKey: { ...grand.body.private_jwk, alg: 'EdDSA' }, dpop: false })
    const token = await sdk.token()
    for (let i = 0; i < 3; i++) {
      workers.push(
        (async () => {
          while (!stop) {
            const startedAt = performance.now()
            const answer = await replica.form('/oauth/token', { grant_type: tokenExchange, subject_token: token, subject_token_type: jwtType, resource: 'urn:lanyard:system:mem', scope: 'read' })
            attempts.push({ replica: index, startedAt, status: answer.status, error: answer.body?.error, grantId: answer.body?.grant_id, token: answer.body?.access_token })
          }
        })(),
      )
    }
  }

  let returnedAt = Number.POSITIVE_INFINITY
  let revoked: { status: number; body: any } | undefined
  try {
    await eventually(() => replicas.every((_, i) => attempts.filter((a) => a.replica === i && a.status === 200).length >= 3))
    revoked = await second.admin('POST', `/v1/agents/${root.handle}/revoke`, { reason: 'tree race' })
    returnedAt = performance.now()
    await eventually(() => replicas.every((_, i) => attempts.filter((a) => a.replica === i && a.startedAt > returnedAt).length >= 5))
  } finally {
    stop = true
    await Promise.all(workers)
  }
  expect(revoked?.status).toBe(202)

  const after = attempts.filter((a) => a.startedAt > returnedAt)
  expect(after.filter((a) => a.status === 200)).toEqual([])
  expect(new Set(after.map((a) => `${a.status} ${a.error}`))).toEqual(new Set(['400 invalid_grant']))

  const part = (revoked!.body.tree as Array<{ agent: { handle: string }; revocation: { id: string } }>).find((n) => n.agent.handle === grandHandle)!
  await eventually(async () => (await third.admin('GET', `/v1/revocations/${part.revocation.id}`)).body.status === 'done', 20_000)
  const job = (await third.admin('GET', `/v1/revocations/${part.revocation.id}`)).body
  const tasked = new Set(job.tasks.map((task: { grant_id: string }) => task.grant_id))
  const issued = attempts.filter((a) => a.status === 200)
  expect(issued.filter((a) => !tasked.has(a.grantId))).toEqual([])
  const grants = (await first.admin('GET', `/v1/agents/${grandHandle}/grants`)).body.grants as Array<{ id: string; status: string }>
  expect(grants.filter((g) => !tasked.has(g.id))).toEqual([])
  expect(grants.filter((g) => g.status === 'live' || g.status === 'pending')).toEqual([])
  expect(issued.filter((a) => mem.upstream.introspect(a.token!).active)).toEqual([])
}

describe('a grandchild exchanging on three replicas while the root is revoked: nothing after the 202, nothing outside the job', () => {
  it('three replicas on one Redis', async () => {
    await treeRace({ urls: [sharedRedisUrl], cluster: false })
  })

  // Each agent's writes stay in its own slot: the tree cut needs no cross-slot script.
  it('three replicas on a three-master Redis Cluster', async () => {
    const cluster = await startCluster()
    cleanups.push(() => cluster.stop())
    await treeRace({ urls: cluster.nodes.map((node) => `redis://${node.host}:${node.port}`), cluster: true })
  })
})
