import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent, uniqueHandle, type TestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'

describe('a flood of misuse reports from one source is cut off with 429', () => {
  let t: TestBroker
  let agent: TestAgent
  beforeAll(async () => {
    t = await startTestBroker()
    agent = await createTestAgent(t)
    await t.admin('PUT', `/v1/agents/${agent.handle}/presence`, { presence: 'public' })
  })
  afterAll(() => t.close())

  const report = (handle: string, i: number) =>
    fetch(`${t.url}/agents/${handle}/report`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ category: 'spam', text: `report ${i}` }) })

  it('the burst (5) is recorded, the rest refused ERR_RATE_LIMITED with Retry-After, and probing other handles does not reset it', async () => {
    const answers = []
    for (let i = 0; i < 20; i += 1) answers.push(await report(agent.handle, i))
    const statuses = answers.map((a) => a.status)
    expect(statuses.slice(0, 5)).toEqual([202, 202, 202, 202, 202])
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true)
    const refused = answers[5]!
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(await refused.json()).toMatchObject({ status: 429, code: 'ERR_RATE_LIMITED' })
    // The limit is per source, taken before the handle is looked at: another handle, known or not, is refused too.
    expect((await report(uniqueHandle('ghost'), 99)).status).toBe(429)
    expect((await t.admin('GET', `/v1/agents/${agent.handle}/reports`)).body.reports).toHaveLength(5)
  })
})
