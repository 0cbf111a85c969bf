import { UnsecuredJWT } from 'jose'
import { expect, it } from 'vitest'
import { hostileBroker, jwtBearerForm } from '../support/hostile.js'

const h = hostileBroker()

it('refuses an unsigned (alg: none) assertion with invalid_grant', async () => {
  const now = Math.floor(Date.now() / 1000)
  const unsigned = new UnsecuredJWT({ iss: h.agent.handle, sub: h.agent.handle, aud: h.t.issuer, exp: now + 60, jti: 'none-1' }).encode()
  const response = await h.t.form('/oauth/token', jwtBearerForm(unsigned))
  expect(response.status).toBe(400)
  expect(response.body.error).toBe('invalid_grant')
  expect(response.body.error_description).toMatch(/algorithm "none" is not accepted/)
  await h.expectNothingMinted()
})
