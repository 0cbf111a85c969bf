import { afterAll, beforeAll, expect, it } from 'vitest'
import type { TestAgent } from '../support/agent.js'
import type { TestBroker } from '../support/broker.js'
import { brokerOverUpstream, startHostileUpstream, type HostileUpstream } from '../support/hostile-upstream.js'

let upstream: HostileUpstream
let t: TestBroker
let agent: TestAgent
let declareLength = true

beforeAll(async () => {
  // 50 MB of a valid-looking token response: with and without a Content-Length.
  upstream = await startHostileUpstream((_req, res) => {
    const chunk = Buffer.alloc(1024 * 1024, 'a')
    const total = 50
    res.writeHead(200, { 'content-type': 'application/json', ...(declareLength ? { 'content-length': String(total * chunk.length + 64) } : {}) })
    res.write('{"token_type":"Bearer","expires_in":300,"access_token":"')
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
  })
  ;({ t, agent } = await brokerOverUpstream(upstream))
})
afterAll(async () => {
  await t?.close()
  await upstream?.close()
})

it.each([true, false])('answers a 50 MB token response (Content-Length declared: %s) with 503 temporarily_unavailable, grant failed, socket closed', async (declared) => {
  declareLength = declared
  const cutBefore = upstream.cutOff
  const rssBefore = process.memoryUsage().rss
  const response = await agent.exchange('idp', 'read')
  expect(response.status).toBe(503)
  expect(response.body).toMatchObject({ error: 'temporarily_unavailable', code: 'ERR_UPSTREAM_UNAVAILABLE' })
  expect(response.body.access_token).toBeUndefined()
  // The broker stopped reading and closed the socket long before 50 MB.
  expect(upstream.cutOff).toBe(cutBefore + 1)
  expect(process.memoryUsage().rss - rssBefore).toBeLessThan(40 * 1024 * 1024)
  const grants = (await t.admin('GET', `/v1/agents/${agent.handle}/grants`)).body.grants as Array<{ status: string }>
  expect(grants.length).toBeGreaterThan(0)
  expect(grants.every((g) => g.status === 'failed')).toBe(true)
})
