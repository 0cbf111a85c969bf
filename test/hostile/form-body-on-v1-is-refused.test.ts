import { expect, it } from 'vitest'
import { hostileBroker } from '../support/hostile.js'

const h = hostileBroker()

it.each([
  ['a form', 'application/x-www-form-urlencoded', 'handle=form-bot%40agents.test.dev&owner=o%40acme.dev'],
  ['plain text', 'text/plain', '{"handle":"form-bot@agents.test.dev","owner":"o@acme.dev"}'],
  ['a JSON-looking vendor type', 'application/vnd.evil+json', '{"handle":"form-bot@agents.test.dev","owner":"o@acme.dev"}'],
])('answers %s body on /v1 with 415 problem+json and creates nothing', async (_, type, body) => {
  const response = await fetch(`${h.t.url}/v1/agents`, { method: 'POST', headers: { authorization: `Bearer ${h.t.adminToken}`, 'content-type': type }, body })
  expect(response.status).toBe(415)
  expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/)
  expect(await response.json()).toMatchObject({ status: 415, code: 'ERR_REQUEST_INVALID', errors: ['content-type: must be application/json'] })
  expect((await h.t.admin('GET', '/v1/agents/form-bot@agents.test.dev')).status).toBe(404)
  await h.expectNothingMinted()
})

it('still takes forms on /oauth and JSON on /v1', async () => {
  expect((await h.t.admin('GET', `/v1/agents/${h.agent.handle}`)).status).toBe(200)
  expect((await h.agent.exchange('mem', 'read')).status).toBe(200)
})

it('takes a bare POST without a body (Content-Length: 0) as no body at all', async () => {
  const response = await fetch(`${h.t.url}/v1/agents/${h.other.handle}/revoke?dry_run=1`, { method: 'POST', headers: { authorization: `Bearer ${h.t.adminToken}` } })
  expect(response.status).toBe(200)
})
