import { generateKeyPairSync } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent, type TestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { brokerOverUpstream, startHostileUpstream, type HostileUpstream } from '../support/hostile-upstream.js'

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
  let mints = 0
  beforeAll(async () => {
    // GitHub: the installation and the bind-time check answer as GitHub does; the exchange's
    // token mint answers 50 MB. AWS STS (POST /): 50 MB always.
    upstream = await startHostileUpstream((req, res) => {
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
      if (req.method === 'GET' && req.url === '/app/installations/7') return json(200, { id: 7, account: { login: 'acme' }, permissions: { contents: 'read', metadata: 'read' } })
      if (req.method === 'POST' && req.url === '/app/installations/7/access_tokens') {
        mints += 1
        if (mints === 1) return json(201, { token: 'ghs_bindcheck', expires_at: new Date(Date.now() + 3_000_000).toISOString(), permissions: { metadata: 'read' } })
        return answerHuge(res, false, '{"token":"ghs_')
      }
      if (req.method === 'DELETE' && req.url === '/installation/token') return res.writeHead(204).end()
      if (req.method === 'POST' && req.url === '/') return answerHuge(res, true, '<AssumeRoleResponse><x>')
      return json(404, { message: 'Not Found' })
    })
    const appKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()
    t = await startTestBroker({
      env: { APP_KEY: appKey, AWS_SECRET: 'hostile-secret-access-key-0123456789' },
      config: {
        sandbox: true,
        upstream: { allowInsecureUpstreamHttp: true },
        systems: [
          { name: 'gh', type: 'github', appId: 1, privateKey: { env: 'APP_KEY' }, baseUrl: upstream.url, retries: 0 },
          { name: 'aws', type: 'aws', mode: 'assume-role', credentials: { accessKeyId: 'AKIAHOSTILETEST0001', secretAccessKey: { env: 'AWS_SECRET' } }, endpoint: upstream.url, maxAttempts: 1, bindingCheck: false, revocation: { enabled: false } },
        ],
      },
    })
    agent = await createTestAgent(t, {
      bindings: [
        { system: 'gh', target: { installationId: 7 }, ceiling: ['contents:read', 'repo:api'] },
        { system: 'aws', target: { roleArn: 'arn:aws:iam::123456789012:role/deploy' }, ceiling: ['s3:GetObject', 'resource:arn:aws:s3:::reports/*'] },
      ],
    })
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
