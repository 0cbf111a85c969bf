import { expect, it } from 'vitest'
import { newDpopKey } from '../support/dpop.js'
import { hostileBroker, jwtBearerForm } from '../support/hostile.js'
import { jwtType, tokenExchange } from '../support/agent.js'

const h = hostileBroker({ dpop: { nonce: true } })

it('answers use_dpop_nonce with a DPoP-Nonce until the proof carries it', async () => {
  const endpoint = `${h.t.issuer}/oauth/token`
  const key = await newDpopKey()
  const first = await h.t.form('/oauth/token', jwtBearerForm(await h.agent.assertion()), { DPoP: await key.proof(endpoint) })
  expect(first.status).toBe(400)
  expect(first.body.error).toBe('use_dpop_nonce')
  const nonce = first.headers.get('dpop-nonce')
  expect(nonce).toMatch(/^[A-Za-z0-9_-]{16,}$/)
  const wrong = await h.t.form('/oauth/token', jwtBearerForm(await h.agent.assertion()), { DPoP: await key.proof(endpoint, { nonce: 'made-up-nonce-value' }) })
  expect(wrong.body.error).toBe('use_dpop_nonce')
  await h.expectNothingMinted()

  const signedIn = await h.t.form('/oauth/token', jwtBearerForm(await h.agent.assertion()), { DPoP: await key.proof(endpoint, { nonce }) })
  expect(signedIn.status).toBe(200)
  const form = { grant_type: tokenExchange, subject_token: signedIn.body.access_token as string, subject_token_type: jwtType, resource: 'urn:lanyard:system:mem' }
  const withoutNonce = await h.t.form('/oauth/token', form, { DPoP: await key.proof(endpoint) })
  expect(withoutNonce.body.error).toBe('use_dpop_nonce')
  await h.expectNothingMinted()
  expect((await h.t.form('/oauth/token', form, { DPoP: await key.proof(endpoint, { nonce }) })).status).toBe(200)
})
