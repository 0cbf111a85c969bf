import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestAgent, jwtType, tokenExchange } from '../support/agent.js'
import type { TestBroker } from '../support/broker.js'
import { newDpopKey } from '../support/dpop.js'
import { jwtBearerForm } from '../support/hostile.js'
import { memorySystem } from '../support/memory.js'
import { deleteKeys, runPrefix, sharedRedisUrl, startReplicas } from '../support/replicas.js'

// DPoP's replay cache is the store's use-once primitive: a proof accepted by one replica is
// refused by every other, and the nonce one replica hands out is accepted by the others.
const keyPrefix = runPrefix()
const mem = memorySystem('mem')
let replicas: TestBroker[]

beforeAll(async () => {
  replicas = await startReplicas({ redisUrls: [sharedRedisUrl, sharedRedisUrl, sharedRedisUrl], keyPrefix, config: { systems: [mem.system], dpop: { nonce: true } } })
})
afterAll(async () => {
  await Promise.allSettled(replicas.map((r) => r.close()))
  await deleteKeys([sharedRedisUrl], keyPrefix)
})

it('one proof, sent to three replicas at once, exchanges once; a nonce from one replica is good at another', async () => {
  const [a, b, c] = replicas as [TestBroker, TestBroker, TestBroker]
  const agent = await createTestAgent(a, { bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling: ['read'] }] })
  const endpoint = `${a.issuer}/oauth/token`
  const key = await newDpopKey()
  const asked = await a.form('/oauth/token', jwtBearerForm(await agent.assertion()), { DPoP: await key.proof(endpoint) })
  expect(asked.body.error).toBe('use_dpop_nonce')
  const nonce = asked.headers.get('dpop-nonce')!
  const signedIn = await b.form('/oauth/token', jwtBearerForm(await agent.assertion()), { DPoP: await key.proof(endpoint, { nonce }) })
  expect(signedIn.status).toBe(200)

  const proof = await key.proof(endpoint, { nonce })
  const form = { grant_type: tokenExchange, subject_token: signedIn.body.access_token as string, subject_token_type: jwtType, resource: 'urn:lanyard:system:mem' }
  const results = await Promise.all([a, b, c, a, b, c].map((replica) => replica.form('/oauth/token', form, { DPoP: proof })))
  expect(results.filter((r) => r.status === 200)).toHaveLength(1)
  for (const refused of results.filter((r) => r.status !== 200)) expect(refused.body.error).toBe('invalid_dpop_proof')
  expect(mem.upstream.liveCount()).toBe(1)
})
