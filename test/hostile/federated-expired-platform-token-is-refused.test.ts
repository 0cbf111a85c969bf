import { expect, it } from 'vitest'
import { brokerAudience, federatedBroker, githubRule } from '../support/federation.js'

const f = federatedBroker()

it('refuses an expired platform token, and one not valid yet', async () => {
  await f.agentTrusting(githubRule())
  const now = Math.floor(Date.now() / 1000)
  const expired = await f.signIn(await f.github.token(brokerAudience, { repository: 'acme/api' }, { iat: now - 900, nbf: now - 1200, exp: now - 600 }))
  expect(expired.status).toBe(400)
  expect(expired.body.error).toBe('invalid_grant')
  expect(expired.body.error_description).toMatch(/expired/)
  const early = await f.signIn(await f.github.token(brokerAudience, { repository: 'acme/api' }, { iat: now, nbf: now + 600, exp: now + 900 }))
  expect(early.status).toBe(400)
  expect(early.body.error_description).toMatch(/not yet valid/)
  const future = await f.signIn(await f.github.token(brokerAudience, { repository: 'acme/api' }, { iat: now + 600, nbf: now - 5, exp: now + 900 }))
  expect(future.status).toBe(400)
  expect(future.body.error_description).toMatch(/"iat"/)
  const noExp = await f.signIn(await f.github.token(brokerAudience, { repository: 'acme/api' }, { exp: undefined }))
  expect(noExp.status).toBe(400)
  expect(noExp.body.error_description).toMatch(/"exp"/)
  await f.expectNothingMinted()
})
