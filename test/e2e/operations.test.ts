import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '@lanyard/broker'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { memorySystem } from '../support/memory.js'

describe('operating the broker: health, metrics, trust tiers', () => {
  const mem = memorySystem('mem')
  let t: TestBroker
  beforeAll(async () => {
    t = await startTestBroker({ config: { systems: [mem.system] } })
  })
  afterAll(() => t.close())

  it('answers /healthz and /readyz, and counts exchanges in Prometheus text on /metrics', async () => {
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200)
    expect(await (await fetch(`${t.url}/readyz`)).json()).toEqual({ status: 'ready' })
    const agent = await createTestAgent(t, { bindings: [{ system: 'mem', target: { account: 'acme' }, ceiling: ['read'] }] })
    await agent.exchange('mem', 'read')
    const metrics = await fetch(`${t.url}/metrics`)
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/)
    const text = await metrics.text()
    expect(text).toMatch(/lanyard_exchange_seconds_count\{system="mem",outcome="issued"\} [1-9]/)
    expect(text).not.toContain(t.adminToken)
  })

  it("names the binding target's invalid fields with the connector's own schema", async () => {
    const agent = await createTestAgent(t)
    const refused = await t.admin('POST', `/v1/agents/${agent.handle}/bindings`, { system: 'mem', target: { account: 42 }, ceiling: ['read'] })
    expect(refused.status).toBe(400)
    expect(refused.body.errors).toEqual([expect.stringMatching(/^target\.account: /)])
  })

  it("refuses an agent below a binding's minimum trust tier, and serves it once raised", async () => {
    const binding = { system: 'mem', target: { account: 'acme' }, ceiling: ['read'], min_tier: 2 }
    const novice = await createTestAgent(t, { tier: 0, bindings: [binding] })
    const refused = await novice.exchange('mem', 'read')
    expect(refused.body.error).toBe('invalid_grant')
    expect(refused.body.error_description).toMatch(/tier 0, below this binding's minimum of 2/)
    const trusted = await createTestAgent(t, { tier: 2, bindings: [binding] })
    expect((await trusted.exchange('mem', 'read')).status).toBe(200)
  })
})

describe('configuration is validated at start, every problem named by its field', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lanyard-config-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const load = (yaml: string, env: NodeJS.ProcessEnv = {}) => {
    writeFileSync(join(dir, 'lanyard.yaml'), yaml)
    return () => loadConfig({ path: join(dir, 'lanyard.yaml'), env, cwd: dir })
  }

  it('lists every issue at once', () => {
    const attempt = load('listen: nowhere\ncolour: red\ntokens: { handleTokenTtlSeconds: 5 }\n')
    expect(attempt).toThrow(/configuration is invalid/)
    try {
      attempt()
    } catch (error) {
      const issues = (error as { issues: string[] }).issues
      expect(issues).toEqual(expect.arrayContaining([expect.stringMatching(/^listen:/), expect.stringMatching(/colour/), expect.stringMatching(/^tokens\.handleTokenTtlSeconds:/)]))
    }
  })

  it('names the variable of a missing secret, never a value', () => {
    expect(load('adminToken: { env: LANYARD_TEST_UNSET_SECRET }\n')).toThrow(/adminToken: environment variable LANYARD_TEST_UNSET_SECRET is not set/)
  })

  it('refuses inline secrets where a reference is expected', () => {
    expect(load('masterKey: "c2VjcmV0"\n')).toThrow(/masterKey/)
  })

  it('refuses insecure upstream http outside a sandbox deployment', () => {
    expect(load('upstream: { allowInsecureUpstreamHttp: true }\n')).toThrow(/refused outside a sandbox deployment/)
  })

  it('lets the environment override the file, and freezes the result', () => {
    const config = load('listen: 127.0.0.1:9000\n', { LANYARD_LISTEN: '127.0.0.1:9100', LANYARD_DATA_DIR: 'data' })()
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 9100 })
    expect(config.dataDir).toBe(join(dir, 'data'))
    expect(Object.isFrozen(config)).toBe(true)
  })
})
