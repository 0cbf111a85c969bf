import { SignJWT } from 'jose'
import { expect, it } from 'vitest'
import { hostileBroker, jwtBearerForm } from '../support/hostile.js'

const h = hostileBroker()

it('refuses an HS256 assertion keyed with the public key (algorithm confusion)', async () => {
  const now = Math.floor(Date.now() / 1000)
  const secret = new TextEncoder().encode(JSON.stringify(h.agent.publicJwk))
  const forged = await new SignJWT({ iss: h.agent.handle, sub: h.agent.handle, aud: h.t.issuer, exp: now + 60, jti: 'hmac-1' })
    .setProtectedHeader({ alg: 'HS256', kid: h.agent.kid })
    .sign(secret)
  const response = await h.t.form('/oauth/token', jwtBearerForm(forged))
  expect(response.body.error).toBe('invalid_grant')
  expect(response.body.error_description).toMatch(/algorithm "HS256" is not accepted/)
  await h.expectNothingMinted()
})
