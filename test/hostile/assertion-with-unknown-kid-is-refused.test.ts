import { expect, it } from 'vitest'
import { hostileBroker, jwtBearerForm } from '../support/hostile.js'

const h = hostileBroker()

it('refuses an assertion whose kid is not one of the agent keys', async () => {
  const response = await h.t.form('/oauth/token', jwtBearerForm(await h.agent.assertion({}, { kid: 'not-a-registered-thumbprint' })))
  expect(response.body.error).toBe('invalid_grant')
  // The same answer as an unknown handle or a bad signature: nothing tells which kids exist.
  expect(response.body).toMatchObject({ code: 'ERR_ASSERTION_INVALID', error_description: 'assertion is invalid: signature does not verify' })
  await h.expectNothingMinted()
})
