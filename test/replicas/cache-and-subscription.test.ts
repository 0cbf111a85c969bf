import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent, jwtBearer, jwtType, tokenExchange, type TestAgent } from '../support/agent.js'
import type { TestBroker } from '../support/broker.js'
import { eventually, memorySystem } from '../support/memory.js'
import { redisCommand, runPrefix, startRedis, startReplicas, type RedisProcess } from '../support/replicas.js'

// DESIGN, Storage: "Pub/sub carries revocations; a replica that lost its subscription must fail
// closed or re-read, never serve stale." Two replicas, A and B, on a Redis of this test's own.
// B logs in as its own ACL user, so its subscription can be taken away and held down exactly:
// withdrawing the user's channel permission makes Redis drop B's subscriber and refuse its
// SUBSCRIBE until the permission is back. Meanwhile A revokes (or suspends) an agent B has
// cached; A's event never reaches B. B must refuse anyway, and subscribe again on its own.

const bUser = 'replica-b'
const bPassword = 'replica-b-password'
const unlimited = { ratePerSecond: 100_000, burst: 100_000 }

describe('a replica that lost its Redis subscription never serves a stale agent', () => {
  const keyPrefix = runPrefix()
  const mem = memorySystem('mem')
  let redis: RedisProcess
  let a: TestBroker
  let b: TestBroker

  beforeAll(async () => {
    redis = await startRedis()
    await redisCommand(redis.url, 'ACL', 'SETUSER', bUser, 'on', `>${bPassword}`, '~*', '&*', '+@all')
    ;[a, b] = (await startReplicas({
      redisUrls: [redis.url, `redis://${bUser}:${bPassword}@127.0.0.1:${redis.port}`],
      keyPrefix,
      config: { systems: [mem.system], rateLimits: { exchange: unlimited, authenticate: unlimited } },
    })) as [TestBroker, TestBroker]
  })
  afterAll(async () => {
    await Promise.allSettled([a?.close(), b?.close()])
    await redis?.stop()
  })

  /** B's bus connection as Redis sees it (named `<prefix>:bus`, logged in as B's user). */
  async function subscriberOfB(): Promise<{ id: string; channels: number } | undefined> {
    const clients = (await redisCommand(redis.url, 'CLIENT', 'LIST')) as string
    const line = clients.split('\n').find((entry) => entry.includes(` name=${keyPrefix}:bus `) && entry.includes(` user=${bUser} `))
    if (line === undefined) return undefined
    return { id: /^id=(\d+)/.exec(line)![1]!, channels: Number(/ sub=(\d+)/.exec(line)![1]) }
  }
  const bSubscribed = async () => (await subscriberOfB())?.channels === 1

  /** SUBSCRIBEs Redis refused to B's user since the log was last reset. */
  async function refusedSubscriptions(): Promise<number> {
    const entries = (await redisCommand(redis.url, 'ACL', 'LOG')) as unknown[][]
    return entries.filter((entry) => {
      const fields = new Map<unknown, unknown>()
      for (let i = 0; i + 1 < entry.length; i += 2) fields.set(entry[i], entry[i + 1])
      return fields.get('username') === bUser && fields.get('reason') === 'channel'
    }).length
  }

  const bound = () => createTestAgent(a, { bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling: ['read'] }] })
  const authenticateAt = async (replica: TestBroker, agent: TestAgent) => replica.form('/oauth/token', { grant_type: jwtBearer, assertion: await agent.assertion() })
  const exchangeAt = (replica: TestBroker, token: string) => replica.form('/oauth/token', { grant_type: tokenExchange, subject_token: token, subject_token_type: jwtType, resource: 'urn:lanyard:system:mem', scope: 'read' })
  const grantCount = async (agent: TestAgent) => ((await a.admin('GET', `/v1/agents/${agent.handle}/grants`)).body.grants as unknown[]).length

  /** B authenticates the agent and exchanges twice: its agent cache now holds the agent. */
  async function warmB(agent: TestAgent): Promise<string> {
    await eventually(bSubscribed)
    const token = (await authenticateAt(b, agent)).body.access_token as string
    for (let i = 0; i < 2; i++) expect((await exchangeAt(b, token)).status).toBe(200)
    return token
  }

  /** Withdraws B's channel permission; resolves once B has tried to subscribe again and been refused. */
  async function holdBDeaf(): Promise<void> {
    await redisCommand(redis.url, 'ACL', 'LOG', 'RESET')
    await redisCommand(redis.url, 'ACL', 'SETUSER', bUser, 'resetchannels')
    await eventually(async () => (await refusedSubscriptions()) > 0 && !(await bSubscribed()))
  }
  /** Gives the permission back; B must subscribe again without anyone touching it. */
  async function letBHear(): Promise<void> {
    await redisCommand(redis.url, 'ACL', 'SETUSER', bUser, 'allchannels')
    await eventually(bSubscribed, 5_000)
  }

  it('B, deaf, refuses an agent revoked through A (exchange, authentication, introspection) and hears again by itself', async () => {
    const agent = await bound()
    const token = await warmB(agent)
    await holdBDeaf()

    expect((await a.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'while B is deaf' })).status).toBe(202)
    const grantsAtRevoke = await grantCount(agent)
    // B cached the agent as active, under this very token, before the event it never got.
    const exchanged = await exchangeAt(b, token)
    expect(exchanged.status).toBe(400)
    expect(exchanged.body.error).toBe('invalid_grant')
    const authenticated = await authenticateAt(b, agent)
    expect(authenticated.status).toBe(400)
    expect(authenticated.body.error).toBe('invalid_grant')
    expect((await b.form('/oauth/introspect', { token }, { authorization: `Bearer ${b.adminToken}` })).body.active).toBe(false)
    expect(await grantCount(agent)).toBe(grantsAtRevoke)

    await letBHear()
    expect((await exchangeAt(b, token)).body.error).toBe('invalid_grant')
  })

  it('B, deaf, does not trust what it cached before: an agent it saw suspended, resumed through A, is served', async () => {
    const agent = await bound()
    await warmB(agent)
    // B hears the suspension and caches the agent as suspended while its bus is healthy.
    expect((await a.admin('POST', `/v1/agents/${agent.handle}/suspend`, { reason: 'pause' })).status).toBe(200)
    await eventually(async () => (await authenticateAt(b, agent)).body.error === 'invalid_grant')
    await holdBDeaf()

    // The resumption is published while B cannot hear it: B must read it from the store. The
    // handle token comes from A, so B's exchange is the only read of the agent B makes.
    expect((await a.admin('POST', `/v1/agents/${agent.handle}/resume`, { reason: 'resume while B is deaf' })).status).toBe(200)
    const authenticated = await authenticateAt(a, agent)
    expect(authenticated.status).toBe(200)
    const exchanged = await exchangeAt(b, authenticated.body.access_token as string)
    expect(exchanged.status).toBe(200)
    expect((await authenticateAt(b, agent)).status).toBe(200)
    expect(mem.upstream.allows(exchanged.body.access_token as string, ['read'])).toBe(true)
    await letBHear()
  })

  it('B, its subscriber connection killed, refuses an agent suspended through A at once and reconnects by itself', async () => {
    const agent = await bound()
    const token = await warmB(agent)

    const subscriber = await subscriberOfB()
    await redisCommand(redis.url, 'CLIENT', 'KILL', 'ID', subscriber!.id)
    expect((await a.admin('POST', `/v1/agents/${agent.handle}/suspend`, { reason: 'while B reconnects' })).status).toBe(200)
    const grantsAtSuspend = await grantCount(agent)
    expect((await exchangeAt(b, token)).body.error).toBe('invalid_grant')
    expect((await authenticateAt(b, agent)).body.error).toBe('invalid_grant')
    expect(await grantCount(agent)).toBe(grantsAtSuspend)

    await eventually(async () => (await subscriberOfB())?.id !== subscriber!.id && (await bSubscribed()), 5_000)
  })
})
