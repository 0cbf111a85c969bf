import { expect, it } from 'vitest'
import { hostileBroker } from '../support/hostile.js'

const h = hostileBroker()

it('refuses an agent assertion presented as the subject token of an exchange', async () => {
  const response = await h.agent.exchange('mem', 'read', await h.agent.assertion())
  expect(response.status).toBe(400)
  expect(response.body.error).toBe('invalid_request')
  expect(response.body.error_description).toMatch(/not a handle token/)
  await h.expectNothingMinted()
})
