import { expect, it } from 'vitest'
import { hostileBroker } from '../support/hostile.js'

const h = hostileBroker()

it('answers malformed JSON on /v1 with a 400 problem, and creates nothing', async () => {
  const response = await h.t.admin('POST', '/v1/agents', '{"handle": "x@y.dev", ')
  expect(response.status).toBe(400)
  expect(response.headers.get('content-type')).toMatch(/application\/problem\+json/)
  expect(response.body).toMatchObject({ status: 400, code: 'ERR_REQUEST_INVALID', errors: ['body: malformed JSON'] })
})

it('answers an oversized body with 413 on /v1 and on /oauth/token', async () => {
  const big = 'x'.repeat(64 * 1024)
  const v1 = await h.t.admin('POST', '/v1/agents', { handle: 'big@agents.test.dev', owner: 'o@acme.dev', labels: { note: big } })
  expect(v1.status).toBe(413)
  expect(v1.body.code).toBe('ERR_REQUEST_INVALID')
  const oauth = await h.t.form('/oauth/token', { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: big })
  expect(oauth.status).toBe(413)
  expect(oauth.body.error).toBe('invalid_request')
  expect((await h.t.admin('GET', '/v1/agents/big@agents.test.dev')).status).toBe(404)
  await h.expectNothingMinted()
})

it('names every invalid field of a request body', async () => {
  const response = await h.t.admin('POST', '/v1/agents', { handle: 'ok@agents.test.dev', owner: 42, tier: 9, extra: true })
  expect(response.status).toBe(400)
  expect(response.body.errors).toEqual(expect.arrayContaining([expect.stringMatching(/^body\.owner:/), expect.stringMatching(/^body\.tier:/), expect.stringMatching(/extra/)]))
})

it('refuses a repeated OAuth parameter and an unsupported grant type', async () => {
  const repeated = await fetch(`${h.t.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=a&grant_type=b' })
  expect(((await repeated.json()) as { error: string }).error).toBe('invalid_request')
  const unsupported = await h.t.form('/oauth/token', { grant_type: 'password', username: 'u', password: 'p' })
  expect(unsupported.body.error).toBe('unsupported_grant_type')
})
