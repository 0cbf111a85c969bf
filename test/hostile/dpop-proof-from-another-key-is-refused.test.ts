import { expect, it } from 'vitest'
import { accessTokenHash, newDpopKey } from '../support/dpop.js'
import { hostileBroker, jwtBearerForm } from '../support/hostile.js'
import { jwtType, tokenExchange } from '../support/agent.js'

const h = hostileBroker()

it('refuses an exchange whose proof is signed by another key than the token is bound to', async () => {
  const endpoint = `${h.t.issuer}/oauth/token`
  const [bound, thief] = [await newDpopKey(), await newDpopKey()]
  const signedIn = await h.t.form('/oauth/token', jwtBearerForm(await h.agent.assertion()), { DPoP: await bound.proof(endpoint) })
  expect(signedIn.status).toBe(200)
  const token = signedIn.body.access_token as string
  const refused = await h.t.form(
    '/oauth/token',
    { grant_type: tokenExchange, subject_token: token, subject_token_type: jwtType, resource: 'urn:lanyard:system:mem' },
    { DPoP: await thief.proof(endpoint, { ath: accessTokenHash(token) }) },
  )
  expect(refused.status).toBe(400)
  expect(refused.body.error).toBe('invalid_dpop_proof')
  expect(refused.body.error_description).toMatch(/another key/)
  // A proof whose embedded key is swapped for the bound one does not verify either.
  const forged = await thief.proof(endpoint, { ath: accessTokenHash(token) }, { jwk: bound.jwk })
  const alsoRefused = await h.t.form('/oauth/token', { grant_type: tokenExchange, subject_token: token, subject_token_type: jwtType, resource: 'urn:lanyard:system:mem' }, { DPoP: forged })
  expect(alsoRefused.body.error).toBe('invalid_dpop_proof')
  await h.expectNothingMinted()
})
