import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent, uniqueHandle, type TestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'

// The presence routes must not tell a private agent from a handle nobody registered: same
// status, same headers, byte-identical body, on every public route.
describe('a private handle and an unknown handle get the same answer', () => {
  let t: TestBroker
  let hidden: TestAgent
  let shown: TestAgent
  beforeAll(async () => {
    t = await startTestBroker()
    hidden = await createTestAgent(t)
    shown = await createTestAgent(t)
    await t.admin('PUT', `/v1/agents/${shown.handle}/presence`, { presence: 'public' })
    // Public once, private again: what was shown is withdrawn, not remembered.
    await t.admin('PUT', `/v1/agents/${hidden.handle}/presence`, { presence: 'public', display_name: 'Was public' })
    await t.admin('PUT', `/v1/agents/${hidden.handle}/presence`, { presence: 'private' })
  })
  afterAll(() => t.close())

  const routes: [string, (handle: string) => [string, RequestInit?]][] = [
    ['webfinger', (h) => [`/.well-known/webfinger?resource=${encodeURIComponent(`acct:${h}`)}`]],
    ['card', (h) => [`/agents/${h}/card`]],
    ['status', (h) => [`/agents/${h}/status`]],
    ['report', (h) => [`/agents/${h}/report`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ category: 'spam', text: 'x' }) }]],
  ]

  async function answer(path: string, init?: RequestInit) {
    const res = await fetch(`${t.url}${path}`, init)
    const headers: Record<string, string> = {}
    res.headers.forEach((value, name) => {
      if (!['date', 'connection', 'keep-alive'].includes(name)) headers[name] = value
    })
    return { status: res.status, headers, body: await res.text() }
  }

  for (const [name, request] of routes) {
    it(`${name}: private, unknown and malformed handles answer byte for byte alike; a public one answers`, async () => {
      const ghost = uniqueHandle('ghost')
      const [privateAnswer, unknownAnswer, malformed] = await Promise.all([answer(...request(hidden.handle)), answer(...request(ghost)), answer(...request('NOT-A-HANDLE'))])
      expect(privateAnswer.status).toBe(404)
      expect(JSON.parse(privateAnswer.body)).toMatchObject({ status: 404, code: 'ERR_PRESENCE_NOT_FOUND' })
      expect(privateAnswer).toEqual(unknownAnswer)
      expect(malformed).toEqual(unknownAnswer)
      expect(privateAnswer.body).not.toContain(hidden.handle)
      expect(privateAnswer.body).not.toContain('Was public')
      expect((await answer(...request(shown.handle))).status).toBeLessThan(300)
    })
  }
})
