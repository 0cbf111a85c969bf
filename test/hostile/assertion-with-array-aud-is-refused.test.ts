import { expect, it } from 'vitest'
import { hostileBroker, jwtBearerForm } from '../support/hostile.js'

const h = hostileBroker()

it.each([
  ['the issuer alone, in an array', () => [h.t.issuer]],
  ['the issuer among others', () => [h.t.issuer, 'https://elsewhere.example']],
])('refuses an assertion whose aud is %s (RFC 7523bis: exactly the issuer)', async (_, aud) => {
  const response = await h.t.form('/oauth/token', jwtBearerForm(await h.agent.assertion({ aud: aud() })))
  expect(response.status).toBe(400)
  expect(response.body).toMatchObject({ error: 'invalid_grant', code: 'ERR_ASSERTION_INVALID' })
  expect(response.body.error_description).toMatch(/"aud" must be the issuer identifier as a single string/)
  expect(response.body.access_token).toBeUndefined()
  await h.expectNothingMinted()
})
