import { request } from 'node:http'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent, jwtBearer, jwtType, tokenExchange, type TestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { memorySystem } from '../support/memory.js'

// `POST /oauth/token` (exactly) is answered by the lean path on node:http; `/oauth/token?...` by
// express's route. Every request below goes both ways: the answers must be the same (status,
// headers but Date, body; a fresh credential's values aside) and so must the metrics they count.

interface Raw {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function send(url: string, path: string, headers: Record<string, string | string[]>, body: Buffer | string | undefined): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body)
  })
}

const form = { 'content-type': 'application/x-www-form-urlencoded' }
const encode = (params: Record<string, string>) => new URLSearchParams(params).toString()

describe('the lean path of POST /oauth/token answers exactly as the express route', () => {
  const mem = memorySystem('mem')
  let t: TestBroker
  let agent: TestAgent
  const counters = async () => (await (await fetch(`${t.url}/metrics`)).text()).split('\n').filter((line) => line.startsWith('lanyard_http_requests_total{route="/oauth/token"') || line.startsWith('lanyard_http_requests_total{route="unmatched"'))

  beforeAll(async () => {
    t = await startTestBroker({ config: { systems: [mem.system] } })
    agent = await createTestAgent(t, { bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling: ['read'] }] })
  })
  afterAll(() => t.close())

  /** Sends the same request to the lean path and to express; returns both answers and what each counted. */
  async function both(headers: Record<string, string | string[]>, body: () => Promise<Buffer | string | undefined>) {
    const answers: Raw[] = []
    const counted: string[][] = []
    for (const path of ['/oauth/token', '/oauth/token?via=express']) {
      const before = await counters()
      answers.push(await send(t.url, path, headers, await body()))
      const after = await counters()
      counted.push(after.filter((line) => !before.includes(line)).map((line) => line.replace(/ \d+$/, '')))
    }
    const [lean, viaExpress] = answers as [Raw, Raw]
    const strip = (raw: Raw) => ({ ...raw.headers, date: undefined })
    expect(strip(lean)).toEqual(strip(viaExpress))
    expect(lean.status).toBe(viaExpress.status)
    expect(counted[0]).toEqual(counted[1])
    return { lean, viaExpress }
  }

  const refusals: Array<[string, Record<string, string | string[]>, () => Promise<Buffer | string | undefined>]> = [
    ['a JSON body', { 'content-type': 'application/json' }, async () => JSON.stringify({ grant_type: tokenExchange })],
    ['no body', {}, async () => undefined],
    ['an empty form', form, async () => ''],
    ['a body over the limit', form, async () => `grant_type=${'x'.repeat(20_000)}`],
    ['too many parameters', form, async () => Array.from({ length: 51 }, (_, i) => `p${i}=1`).join('&')],
    ['an unsupported charset', { 'content-type': 'application/x-www-form-urlencoded; charset=utf-16' }, async () => 'grant_type=x'],
    ['an unknown content encoding', { ...form, 'content-encoding': 'compress' }, async () => 'grant_type=x'],
    ['a broken gzip body', { ...form, 'content-encoding': 'gzip' }, async () => 'not gzip'],
    ['an unsupported grant type', form, async () => encode({ grant_type: 'password' })],
    ['a repeated grant_type', form, async () => 'grant_type=a&grant_type=b'],
    ['a made-up audience', form, async () => encode({ grant_type: tokenExchange, subject_token: 'x', subject_token_type: jwtType, audience: 'nowhere' })],
    ['a forged subject token', form, async () => encode({ grant_type: tokenExchange, subject_token: 'not-a-token', subject_token_type: jwtType, resource: 'urn:lanyard:system:mem' })],
    ['two DPoP headers', { ...form, dpop: ['a.b.c', 'd.e.f'] }, async () => encode({ grant_type: jwtBearer, assertion: await agent.assertion() })],
    ['a bad assertion', form, async () => encode({ grant_type: jwtBearer, assertion: 'x.y.z' })],
  ]
  it.each(refusals)('refuses %s alike', async (_name, headers, body) => {
    const { lean, viaExpress } = await both(headers, body)
    expect(lean.status).toBeGreaterThanOrEqual(400)
    expect(lean.body).toBe(viaExpress.body)
    expect(JSON.parse(lean.body)).toMatchObject({ error: expect.any(String), error_description: expect.any(String), code: expect.stringMatching(/^ERR_/) })
  })

  it('authenticates and exchanges alike, a gzip or chunked form too', async () => {
    const authenticated = await both(form, async () => encode({ grant_type: jwtBearer, assertion: await agent.assertion() }))
    expect(authenticated.lean.status).toBe(200)
    expect(Object.keys(JSON.parse(authenticated.lean.body))).toEqual(Object.keys(JSON.parse(authenticated.viaExpress.body)))
    const exchange = async () => encode({ grant_type: tokenExchange, subject_token: await agent.token(), subject_token_type: jwtType, resource: 'urn:lanyard:system:mem' })
    for (const [headers, body] of [
      [form, exchange],
      [{ ...form, 'content-encoding': 'gzip' }, async () => gzipSync(await exchange())],
      [{ ...form, 'transfer-encoding': 'chunked' }, exchange],
    ] as const) {
      const { lean, viaExpress } = await both(headers, body)
      expect(lean.status).toBe(200)
      const [a, b] = [JSON.parse(lean.body), JSON.parse(viaExpress.body)]
      expect(Object.keys(a)).toEqual(Object.keys(b))
      expect({ ...a, access_token: '', grant_id: '', expires_in: 0 }).toEqual({ ...b, access_token: '', grant_id: '', expires_in: 0 })
      expect(lean.headers['cache-control']).toBe('no-store')
      expect(lean.headers.pragma).toBe('no-cache')
    }
  })
})
