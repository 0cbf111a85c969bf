import { performance } from 'node:perf_hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent, jwtType, tokenExchange, type TestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { eventually, memorySystem } from '../support/memory.js'
import { runPrefix, startRedis, type RedisProcess } from '../support/replicas.js'

// DESIGN, Non-negotiables: "store unavailable -> no credential is issued, with a clear error;
// nothing already recorded is lost." A broker on a Redis of this test's own (append-only file,
// fsynced on every write, so a killed Redis comes back with what it acknowledged) exchanges
// continuously; Redis is killed mid-stream. Every answer is then 503 temporarily_unavailable,
// and once Redis is back on the same port the same broker serves again, unrestarted, with a
// ledger in which nothing is half-written.

interface Answer {
  readonly startedAt: number
  readonly status: number
  readonly error?: string
  readonly grantId?: string
  readonly token?: string
}

interface LedgerGrant {
  readonly id: string
  readonly status: string
}

describe('Redis down: the broker fails closed and recovers without a restart', () => {
  const mem = memorySystem('mem', { latencyMs: 10 })
  let redis: RedisProcess
  let t: TestBroker
  let agent: TestAgent

  beforeAll(async () => {
    redis = await startRedis({ persist: true })
    t = await startTestBroker({
      config: {
        systems: [mem.system],
        store: { type: 'redis', url: { env: 'LANYARD_REDIS_URL' }, keyPrefix: runPrefix() },
        rateLimits: { exchange: { ratePerSecond: 100_000, burst: 100_000 } },
      },
      env: { LANYARD_REDIS_URL: redis.url },
    })
    agent = await createTestAgent(t, { bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling: ['read'] }] })
  })
  afterAll(async () => {
    await t?.close()
    await redis?.stop()
  })

  const exchange = async (token: string): Promise<Answer> => {
    const startedAt = performance.now()
    const answer = await t.form('/oauth/token', { grant_type: tokenExchange, subject_token: token, subject_token_type: jwtType, resource: 'urn:lanyard:system:mem', scope: 'read' })
    return { startedAt, status: answer.status, error: answer.body?.error, grantId: answer.body?.grant_id, token: answer.body?.access_token }
  }

  it('answers 503 temporarily_unavailable while Redis is gone, serves again once it is back, and leaves no half-written grant', async () => {
    const token = await agent.token()
    const answers: Answer[] = []
    let stop = false
    const loops = Array.from({ length: 4 }, async () => {
      while (!stop) answers.push(await exchange(token))
    })
    let killedAt = Number.POSITIVE_INFINITY
    try {
      await eventually(() => answers.filter((a) => a.status === 200).length >= 8)
      await redis.kill()
      killedAt = performance.now()
      await eventually(() => answers.filter((a) => a.startedAt > killedAt).length >= 8)
    } finally {
      stop = true
      await Promise.all(loops)
    }

    // (1) Fail closed: every exchange begun after the kill is refused as unavailable, and those
    // cut in the middle end in success or the same refusal, nothing else.
    const unavailable = (a: Answer) => a.status === 503 && a.error === 'temporarily_unavailable'
    expect(answers.filter((a) => a.startedAt > killedAt && !unavailable(a))).toEqual([])
    expect(answers.filter((a) => a.status !== 200 && !unavailable(a))).toEqual([])
    expect((await fetch(`${t.url}/readyz`)).status).toBe(503)
    const authenticated = await t.form('/oauth/token', { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: await agent.assertion() })
    expect([authenticated.status, authenticated.body.error]).toEqual([503, 'temporarily_unavailable'])
    const shown = await t.admin('GET', `/v1/agents/${agent.handle}`)
    expect([shown.status, shown.body.code]).toEqual([503, 'ERR_STORE_UNAVAILABLE'])

    // (2) Redis back on the same port with its append-only file: the same broker serves again.
    await redis.restart()
    await eventually(async () => (await fetch(`${t.url}/readyz`)).status === 200, 10_000)
    const after = await exchange(token)
    expect(after.status).toBe(200)
    const issued = [...answers.filter((a) => a.status === 200), after]

    // (3) Nothing half-written: the chain verifies; a live grant always has its grant.issued
    // event; every credential handed out is live in the ledger; and the upstream holds no live
    // credential beyond those handed out (one minted but not recorded was revoked at once).
    const audit = (await t.admin('GET', `/v1/agents/${agent.handle}/audit?verify=1&limit=1000`)).body
    expect(audit.verification.ok).toBe(true)
    const issuedEvents = new Set(audit.events.filter((e: { action: string }) => e.action === 'grant.issued').map((e: { target: string }) => e.target))
    const requestedEvents = new Set(audit.events.filter((e: { action: string }) => e.action === 'grant.requested').map((e: { target: string }) => e.target))
    const grants = (await t.admin('GET', `/v1/agents/${agent.handle}/grants`)).body.grants as LedgerGrant[]
    expect(grants.filter((g) => !requestedEvents.has(g.id))).toEqual([])
    expect(grants.filter((g) => g.status === 'live' && !issuedEvents.has(g.id))).toEqual([])
    const live = new Set(grants.filter((g) => g.status === 'live').map((g) => g.id))
    expect(issued.filter((a) => !live.has(a.grantId!))).toEqual([])
    expect(issued.filter((a) => !mem.upstream.introspect(a.token!).active)).toEqual([])
    expect(mem.upstream.liveCount()).toBe(issued.length)
  })
})
