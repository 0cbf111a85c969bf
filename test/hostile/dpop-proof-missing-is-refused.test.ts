import { expect, it } from 'vitest'
import { newDpopKey } from '../support/dpop.js'
import { hostileBroker, jwtBearerForm } from '../support/hostile.js'

const h = hostileBroker()

it('refuses to exchange a DPoP-bound handle token presented without a proof', async () => {
  const key = await newDpopKey()
  const endpoint = `${h.t.issuer}/oauth/token`
  const signedIn = await h.t.form('/oauth/token', jwtBearerForm(await h.agent.assertion()), { DPoP: await key.proof(endpoint) })
  expect(signedIn.status).toBe(200)
  expect(signedIn.body.token_type).toBe('DPoP')
  const refused = await h.agent.exchange('mem', undefined, signedIn.body.access_token)
  expect(refused.status).toBe(400)
  expect(refused.body.error).toBe('invalid_dpop_proof')
  expect(refused.body.error_description).toMatch(/required/)
  await h.expectNothingMinted()
})

it('refuses a sign-in whose DPoP header is not a proof, or is sent twice', async () => {
  const key = await newDpopKey()
  const proof = await key.proof(`${h.t.issuer}/oauth/token`)
  for (const dpop of ['not-a-jwt', `${proof}, ${proof}`, await key.proof(`${h.t.issuer}/oauth/token`, {}, { typ: 'JWT' })]) {
    const refused = await h.t.form('/oauth/token', jwtBearerForm(await h.agent.assertion()), { DPoP: dpop })
    expect(refused.status).toBe(400)
    expect(refused.body.error).toBe('invalid_dpop_proof')
  }
  await h.expectNothingMinted()
})
