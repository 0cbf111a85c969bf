import { expect, it } from 'vitest'
import { hostileBroker, jwtBearerForm } from '../support/hostile.js'

const h = hostileBroker()
const now = () => Math.floor(Date.now() / 1000)

it.each([
  ['expired', () => ({ iat: now() - 600, exp: now() - 120 }), /expired/],
  ['not yet valid', () => ({ nbf: now() + 600, exp: now() + 700 }), /not yet valid|"exp" is more than/],
  ['living more than five minutes', () => ({ exp: now() + 3600 }), /more than 300 s ahead/],
  ['issued in the future', () => ({ iat: now() + 600 }), /"iat"/],
  ['without exp', () => ({ exp: undefined }), /"exp"/],
  ['without jti', () => ({ jti: undefined }), /"jti"/],
])('refuses an assertion %s', async (_name, claims, reason) => {
  const response = await h.t.form('/oauth/token', jwtBearerForm(await h.agent.assertion(claims())))
  expect(response.body.error).toBe('invalid_grant')
  expect(response.body.error_description).toMatch(reason)
  await h.expectNothingMinted()
})
