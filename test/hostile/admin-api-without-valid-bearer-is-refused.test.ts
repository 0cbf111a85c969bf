import { expect, it } from 'vitest'
import { hostileBroker } from '../support/hostile.js'

const h = hostileBroker()

it.each([['no token', ''], ['a wrong token', 'wrong'], ['a handle token', 'handle']])('refuses /v1 with %s', async (_name, kind) => {
  const token = kind === 'handle' ? await h.agent.token() : kind
  const response = await fetch(`${h.t.url}/v1/agents`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
  expect(response.status).toBe(401)
  expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/)
  const body = (await response.json()) as { code: string; detail: string }
  expect(body.code).toBe('ERR_CLIENT_UNAUTHORIZED')
  expect(JSON.stringify(body)).not.toContain(h.t.adminToken)
})
