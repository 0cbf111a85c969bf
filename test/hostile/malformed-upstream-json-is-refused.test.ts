import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestAgent } from '../support/agent.js'
import type { TestBroker } from '../support/broker.js'
import { brokerOverGitHubAndAws, brokerOverUpstream, gitHubAndStsUpstream, startHostileUpstream, type HostileUpstream } from '../support/hostile-upstream.js'

let upstream: HostileUpstream
let t: TestBroker
let agent: TestAgent
let body = ''

beforeAll(async () => {
  upstream = await startHostileUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(body)
  })
  ;({ t, agent } = await brokerOverUpstream(upstream))
})
afterAll(async () => {
  await t?.close()
  await upstream?.close()
})

it.each([
  ['truncated JSON', '{"access_token":"abc","token_type":"Bearer",'],
  ['not JSON at all', '<html>502 Bad Gateway</html>'],
  ['JSON that is not an object', '"access_token"'],
])('answers %s from the upstream with 503 temporarily_unavailable and the grant failed, never invalid_request', async (_, answer) => {
  body = answer
  const response = await agent.exchange('idp', 'read')
  expect(response.status).toBe(503)
  expect(response.body).toMatchObject({ error: 'temporarily_unavailable', code: 'ERR_UPSTREAM_UNAVAILABLE' })
  expect(response.body.access_token).toBeUndefined()
  const grants = (await t.admin('GET', `/v1/agents/${agent.handle}/grants`)).body.grants as Array<{ status: string }>
  expect(grants.length).toBeGreaterThan(0)
  expect(grants.every((g) => g.status === 'failed')).toBe(true)
})

describe('github and aws', () => {
  let other: HostileUpstream
  let broker: TestBroker
  let bound: TestAgent
  beforeAll(async () => {
    other = await gitHubAndStsUpstream(
      (res) => res.writeHead(201, { 'content-type': 'application/json' }).end('{"token":"ghs_truncated","expires_at":'),
      (res) => res.writeHead(200, { 'content-type': 'text/xml' }).end('<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA'),
    )
    ;({ t: broker, agent: bound } = await brokerOverGitHubAndAws(other))
  })
  afterAll(async () => {
    await broker?.close()
    await other?.close()
  })

  it.each(['gh', 'aws'])('answers a malformed %s answer with 503 temporarily_unavailable and the grant failed', async (system) => {
    const response = await bound.exchange(system)
    expect(response.status).toBe(503)
    expect(response.body).toMatchObject({ error: 'temporarily_unavailable', code: 'ERR_UPSTREAM_UNAVAILABLE' })
    const grants = (await broker.admin('GET', `/v1/agents/${bound.handle}/grants`)).body.grants as Array<{ status: string; system: string }>
    const ofSystem = grants.filter((g) => g.system === system)
    expect(ofSystem.length).toBeGreaterThan(0)
    expect(ofSystem.every((g) => g.status === 'failed')).toBe(true)
  })
})
