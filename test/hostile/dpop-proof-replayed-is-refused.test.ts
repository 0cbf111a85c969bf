import { expect, it } from 'vitest'
import { newDpopKey } from '../support/dpop.js'
import { hostileBroker, jwtBearerForm } from '../support/hostile.js'
import { jwtType, tokenExchange } from '../support/agent.js'

const h = hostileBroker()

it('accepts a proof once and refuses its replay, even concurrently', async () => {
  const endpoint = `${h.t.issuer}/oauth/token`
  const key = await newDpopKey()
  const signedIn = await h.t.form('/oauth/token', jwtBearerForm(await h.agent.assertion()), { DPoP: await key.proof(endpoint) })
  const token = signedIn.body.access_token as string
  const proof = await key.proof(endpoint)
  const form = { grant_type: tokenExchange, subject_token: token, subject_token_type: jwtType, resource: 'urn:lanyard:system:mem' }
  const results = await Promise.all(Array.from({ length: 8 }, () => h.t.form('/oauth/token', form, { DPoP: proof })))
  expect(results.filter((r) => r.status === 200)).toHaveLength(1)
  for (const r of results.filter((r) => r.status !== 200)) {
    expect(r.body.error).toBe('invalid_dpop_proof')
    expect(r.body.error_description).toMatch(/already used/)
  }
  // The one accepted exchange is the only credential: the replays minted nothing.
  expect(h.liveCredentials()).toBe(1)
  expect((await h.t.admin('GET', `/v1/agents/${h.agent.handle}/grants`)).body.grants).toHaveLength(1)
})
