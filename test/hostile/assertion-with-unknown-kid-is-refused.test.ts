import { expect, it } from 'vitest'
import { hostileBroker, jwtBearerForm } from '../support/hostile.js'

const h = hostileBroker()

it('refuses an assertion whose kid is not one of the agent keys', async () => {
  const response = await h.t.form('/oauth/token', jwtBearerForm(await h.agent.assertion({}, { kid: 'not-a-registered-thumbprint' })))
  expect(response.body.error).toBe('invalid_grant')
  expect(response.body.error_description).toMatch(/unknown "kid"/)
  await h.expectNothingMinted()
})
