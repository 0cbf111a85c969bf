import { expect, it } from 'vitest'
import { newDpopKey } from '../support/dpop.js'
import { hostileBroker, jwtBearerForm } from '../support/hostile.js'
import { jwtType, tokenExchange } from '../support/agent.js'

const h = hostileBroker()

it('refuses proofs made for another method or another URL', async () => {
  const endpoint = `${h.t.issuer}/oauth/token`
  const key = await newDpopKey()
  const signedIn = await h.t.form('/oauth/token', jwtBearerForm(await h.agent.assertion()), { DPoP: await key.proof(endpoint) })
  const form = { grant_type: tokenExchange, subject_token: signedIn.body.access_token as string, subject_token_type: jwtType, resource: 'urn:lanyard:system:mem' }
  const cases: Array<[string, string, RegExp]> = [
    ['GET', endpoint, /"htm"/],
    ['post', endpoint, /"htm"/],
    ['POST', `${h.t.issuer}/oauth/revoke`, /"htu"/],
    ['POST', 'https://lanyard.evil.example/oauth/token', /"htu"/],
    ['POST', `${h.t.issuer}/oauth/token/`, /"htu"/],
  ]
  for (const [htm, htu, reason] of cases) {
    const refused = await h.t.form('/oauth/token', form, { DPoP: await key.proof(htu, { htm }) })
    expect(refused.status, `${htm} ${htu}`).toBe(400)
    expect(refused.body.error).toBe('invalid_dpop_proof')
    expect(refused.body.error_description).toMatch(reason)
  }
  // The query string is not part of htu (RFC 9449 4.3): the proof still matches.
  const withQuery = await h.t.form('/oauth/token', form, { DPoP: await key.proof(`${endpoint}?x=1`) })
  expect(withQuery.status).toBe(200)
  expect(h.liveCredentials()).toBe(1)
})
