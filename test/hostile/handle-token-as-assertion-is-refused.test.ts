import { expect, it } from 'vitest'
import { hostileBroker, jwtBearerForm } from '../support/hostile.js'

const h = hostileBroker()

it('refuses a handle token presented as an assertion', async () => {
  const token = await h.agent.token()
  const response = await h.t.form('/oauth/token', jwtBearerForm(token))
  expect(response.body.error).toBe('invalid_grant')
  expect(response.body.error_description).toMatch(/handle token cannot be used as an assertion/)
  await h.expectNothingMinted()
})
