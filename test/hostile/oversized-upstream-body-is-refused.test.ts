import type { ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestAgent } from '../support/agent.js'
import type { TestBroker } from '../support/broker.js'
import { brokerOverGitHubAndAws, brokerOverUpstream, gitHubAndStsUpstream, startHostileUpstream, type HostileUpstream } from '../support/hostile-upstream.js'

/** 50 MB of a valid-looking JSON answer, with or without a Content-Length. */
function answerHuge(res: ServerResponse, declareLength: boolean, prefix = '{"token_type":"Bearer","expires_in":300,"access_token":"'): void {
  const chunk = Buffer.alloc(1024 * 1024, 'a')
  const total = 50
  res.writeHead(200, { 'content-type': 'application/json', ...(declareLength ? { 'content-length': String(total * chunk.length + prefix.length + 2) } : {}) })
  res.write(prefix)
  let sent = 0
  const pump = () => {
    while (sent < total) {
      sent += 1
      if (!res.write(chunk)) return void res.once('drain', pump)
    }
    res.end('"}')
  }
  res.on('close', () => (sent = total))
  pump()
}

async function expectRefusedAndFailed(t: TestBroker, agent: TestAgent, upstream: HostileUpstream, system: string, scope?: string) {
  const cutBefore = upstream.cutOff
  const rssBefore = process.memoryUsage().rss
  const response = await agent.exchange(system, scope)
  expect(response.status).toBe(503)
  expect(response.body).toMatchObject({ error: 'temporarily_unavailable', code: 'ERR_UPSTREAM_UNAVAILABLE' })
  expect(response.body.access_token).toBeUndefined()
  // The broker stopped reading and closed the socket long before 50 MB.
  expect(upstream.cutOff).toBeGreaterThan(cutBefore)
  expect(process.memoryUsage().rss - rssBefore).toBeLessThan(40 * 1024 * 1024)
  const grants = (await t.admin('GET', `/v1/agents/${agent.handle}/grants`)).body.grants as Array<{ status: string; system: string }>
  const ofSystem = grants.filter((g) => g.system === system)
  expect(ofSystem.length).toBeGreaterThan(0)
  expect(ofSystem.every((g) => g.status === 'failed')).toBe(true)
}

describe('oauth', () => {
  let upstream: HostileUpstream
  let t: TestBroker
  let agent: TestAgent
  let declareLength = true
  beforeAll(async () => {
    upstream = await startHostileUpstream((_req, res) => answerHuge(res, declareLength))
    ;({ t, agent } = await brokerOverUpstream(upstream))
  })
  afterAll(async () => {
    await t?.close()
    await upstream?.close()
  })

  it.each([true, false])('answers a 50 MB token response (Content-Length declared: %s) with 503 temporarily_unavailable, grant failed, socket closed', async (declared) => {
    declareLength = declared
    await expectRefusedAndFailed(t, agent, upstream, 'idp', 'read')
  })
})

describe('github and aws', () => {
  let upstream: HostileUpstream
  let t: TestBroker
  let agent: TestAgent
  beforeAll(async () => {
    upstream = await gitHubAndStsUpstream((res) => answerHuge(res, false, '{"token":"ghs_'), (res) => answerHuge(res, true, '<AssumeRoleResponse><x>'))
    ;({ t, agent } = await brokerOverGitHubAndAws(upstream))
  })
  afterAll(async () => {
    await t?.close()
    await upstream?.close()
  })

  it('answers a 50 MB GitHub token response with 503 temporarily_unavailable, grant failed, socket closed', async () => {
    await expectRefusedAndFailed(t, agent, upstream, 'gh')
  })

  it('answers a 50 MB STS response with 503 temporarily_unavailable, grant failed, socket closed', async () => {
    await expectRefusedAndFailed(t, agent, upstream, 'aws')
  })
})
