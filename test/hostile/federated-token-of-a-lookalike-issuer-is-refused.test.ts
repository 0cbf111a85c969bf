import { expect, it } from 'vitest'
import { startGitHubActionsIssuer } from '@lanyard/sandbox'
import { brokerAudience, federatedBroker, githubRule } from '../support/federation.js'

const f = federatedBroker()

it('refuses a token whose iss only looks like GitHub, without asking anyone for keys', async () => {
  await f.agentTrusting(githubRule())
  const lookalike = await startGitHubActionsIssuer({ issuer: 'https://token.actions.githubusercontent.com.evil.example' })
  try {
    const before = f.github.keyRequests
    const refused = await f.signIn(await lookalike.token(brokerAudience, { repository: 'acme/api' }))
    expect(refused.status).toBe(400)
    expect(refused.body.error).toBe('invalid_grant')
    // Not a configured issuer: no key fetched from anywhere (neither stand-in was asked).
    expect(lookalike.keyRequests).toBe(0)
    expect(f.github.keyRequests).toBe(before)
    // Nor can a rule name it.
    const rule = await f.t.admin('POST', `/v1/agents/${(await f.agentTrusting()).handle}/trust`, githubRule({ issuer: 'https://token.actions.githubusercontent.com.evil.example' }))
    expect(rule.status).toBe(400)
    expect(rule.headers.get('content-type')).toMatch(/application\/problem\+json/)
    expect(rule.body.code).toBe('ERR_ISSUER_UNKNOWN')
    await f.expectNothingMinted()
  } finally {
    await lookalike.close()
  }
})

it('refuses a token signed by a lookalike issuer that claims to be GitHub', async () => {
  await f.agentTrusting(githubRule({ subject: 'repo:acme/web:ref:refs/heads/main', claims: {} }))
  // Same `iss` as GitHub, but signed by keys GitHub (here: the broker's configured JWKS) never published.
  const impostor = await startGitHubActionsIssuer()
  try {
    const refused = await f.signIn(await impostor.token(brokerAudience, { repository: 'acme/web' }))
    expect(refused.status).toBe(400)
    expect(refused.body.error).toBe('invalid_grant')
    expect(refused.body.error_description).toMatch(/key the issuer does not publish|signature/)
    await f.expectNothingMinted()
  } finally {
    await impostor.close()
  }
})
