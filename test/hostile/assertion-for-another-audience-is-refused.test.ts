import { expect, it } from 'vitest'
import { hostileBroker, jwtBearerForm } from '../support/hostile.js'

const h = hostileBroker()

it.each([['https://other-broker.example'], [`${'http://127.0.0.1:1'}`], [['https://a.example', 'https://b.example']]])('refuses aud %j', async (aud) => {
  const response = await h.t.form('/oauth/token', jwtBearerForm(await h.agent.assertion({ aud })))
  expect(response.body.error).toBe('invalid_grant')
  expect(response.body.error_description).toMatch(/"aud"/)
  await h.expectNothingMinted()
})
