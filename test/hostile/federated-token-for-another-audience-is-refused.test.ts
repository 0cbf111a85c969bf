import { expect, it } from 'vitest'
import { brokerAudience, federatedBroker, githubRule } from '../support/federation.js'

const f = federatedBroker()

it('refuses a platform token minted for another audience', async () => {
  await f.agentTrusting(githubRule())
  for (const audience of ['https://sts.amazonaws.com', `${brokerAudience}/`, 'https://LANYARD.test']) {
    const refused = await f.signIn(await f.github.token(audience, { repository: 'acme/api' }))
    expect(refused.status).toBe(400)
    expect(refused.body.error).toBe('invalid_grant')
    expect(refused.body.error_description).toMatch(/"aud"/)
  }
  await f.expectNothingMinted()
})

it('refuses a token whose audience the issuer accepts but the rule does not name', async () => {
  const k8s = await f.agentTrusting({ issuer: f.kubernetes.issuer, audience: brokerAudience, subject: 'system:serviceaccount:ops:*', shape: 'kubernetes' })
  const refused = await f.signIn(await f.kubernetes.token('vault', { namespace: 'ops', serviceAccount: 'runner' }), { client_id: k8s.handle })
  expect(refused.status).toBe(400)
  expect(refused.body.error).toBe('invalid_grant')
  await f.expectNothingMinted()
})
