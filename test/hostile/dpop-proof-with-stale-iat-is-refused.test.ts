import { expect, it } from 'vitest'
import { newDpopKey } from '../support/dpop.js'
import { hostileBroker, jwtBearerForm } from '../support/hostile.js'
import { jwtType, tokenExchange } from '../support/agent.js'

const h = hostileBroker()

it('refuses a proof whose iat is too old or too far ahead', async () => {
  const endpoint = `${h.t.issuer}/oauth/token`
  const key = await newDpopKey()
  const now = Math.floor(Date.now() / 1000)
  const staleSignIn = await h.t.form('/oauth/token', jwtBearerForm(await h.agent.assertion()), { DPoP: await key.proof(endpoint, { iat: now - 300 }) })
  expect(staleSignIn.status).toBe(400)
  expect(staleSignIn.body.error).toBe('invalid_dpop_proof')
  const signedIn = await h.t.form('/oauth/token', jwtBearerForm(await h.agent.assertion()), { DPoP: await key.proof(endpoint) })
  const form = { grant_type: tokenExchange, subject_token: signedIn.body.access_token as string, subject_token_type: jwtType, resource: 'urn:lanyard:system:mem' }
  for (const iat of [now - 120, now + 120, undefined]) {
    const refused = await h.t.form('/oauth/token', form, { DPoP: await key.proof(endpoint, { iat }) })
    expect(refused.status).toBe(400)
    expect(refused.body.error).toBe('invalid_dpop_proof')
    expect(refused.body.error_description).toMatch(/"iat"/)
  }
  await h.expectNothingMinted()
})
