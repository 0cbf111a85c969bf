import { SignJWT } from 'jose'
import { expect, it } from 'vitest'
import { hostileBroker, jwtBearerForm } from '../support/hostile.js'

const h = hostileBroker()

it("refuses an assertion for agent B signed with agent A's key", async () => {
  const now = Math.floor(Date.now() / 1000)
  const forged = await new SignJWT({ iss: h.other.handle, sub: h.other.handle, aud: h.t.issuer, exp: now + 60, jti: 'cross-1' })
    .setProtectedHeader({ alg: 'EdDSA', kid: h.agent.kid })
    .sign(h.agent.privateKey)
  const response = await h.t.form('/oauth/token', jwtBearerForm(forged))
  expect(response.body.error).toBe('invalid_grant')
  await h.expectNothingMinted()
})

it('refuses an assertion whose iss differs from sub', async () => {
  const response = await h.t.form('/oauth/token', jwtBearerForm(await h.agent.assertion({ iss: h.other.handle })))
  expect(response.body.error).toBe('invalid_grant')
  expect(response.body.error_description).toMatch(/"iss" must equal "sub"/)
  await h.expectNothingMinted()
})
