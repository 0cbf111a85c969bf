import { expect, it } from 'vitest'
import { brokerAudience, federatedBroker, githubRule } from '../support/federation.js'

const f = federatedBroker()

it('refuses a platform token for a handle that has no rule it meets', async () => {
  const trusting = await f.agentTrusting(githubRule())
  const stranger = await f.agentTrusting()
  const token = await f.github.token(brokerAudience, { repository: 'acme/api' })
  // The token meets `trusting`'s rule, but asks to be `stranger`.
  const refused = await f.signIn(token, { client_id: stranger.handle })
  expect(refused.status).toBe(400)
  expect(refused.body.error).toBe('invalid_grant')
  expect(refused.body.error_description).toMatch(/no trust rule/)
  // A job of another repository meets nobody's rule.
  const other = await f.signIn(await f.github.token(brokerAudience, { repository: 'acme/other' }))
  expect(other.status).toBe(400)
  expect(other.body.error_description).toMatch(/no trust rule/)
  // A claim condition the token does not meet (another workflow file).
  const workflow = await f.signIn(await f.github.token(brokerAudience, { repository: 'acme/api', workflow: '.github/workflows/evil.yml' }))
  expect(workflow.status).toBe(400)
  expect(trusting.handle).not.toBe(stranger.handle)
  await f.expectNothingMinted()
})

it('refuses a platform token for a suspended agent even when its rule matches', async () => {
  const { handle } = await f.agentTrusting(githubRule({ subject: 'repo:acme/paused:ref:refs/heads/main', claims: {} }))
  await f.t.admin('POST', `/v1/agents/${handle}/suspend`, { reason: 'test' })
  const refused = await f.signIn(await f.github.token(brokerAudience, { repository: 'acme/paused' }))
  expect(refused.status).toBe(400)
  expect(refused.body.error).toBe('invalid_grant')
  await f.expectNothingMinted()
})
