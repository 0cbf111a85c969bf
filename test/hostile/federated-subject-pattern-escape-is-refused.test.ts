import { expect, it } from 'vitest'
import { brokerAudience, federatedBroker, githubRule } from '../support/federation.js'

const f = federatedBroker()

it('a rule for repo:acme/* never matches repo:acme-evil/x, nor another segment', async () => {
  await f.agentTrusting(githubRule({ subject: 'repo:acme/*:ref:refs/heads/main', claims: {} }))
  const escapes = [
    { repository: 'acme-evil/x' },
    { repository: 'acme/api:ref:refs/heads/main:x' },
    { repository: 'acme/api', ref: 'refs/heads/main/../evil' },
    { repository: 'acme/api', ref: 'refs/heads/mainx' },
  ]
  for (const job of escapes) {
    const refused = await f.signIn(await f.github.token(brokerAudience, job))
    expect(refused.status, JSON.stringify(job)).toBe(400)
    expect(refused.body.error).toBe('invalid_grant')
    expect(refused.body.error_description).toMatch(/no trust rule/)
  }
  await f.expectNothingMinted()
})

it('a SPIFFE rule never matches another trust domain whose name extends it', async () => {
  await f.agentTrusting({ issuer: f.spiffe.issuer, audience: brokerAudience, subject: 'spiffe://acme.dev/ns/*/sa/api', shape: 'spiffe' })
  for (const trustDomain of ['acme.dev.evil.example', 'evil.acme.dev']) {
    const refused = await f.signIn(await f.spiffe.svid('/ns/prod/sa/api', brokerAudience, { trustDomain }))
    expect(refused.status).toBe(400)
    expect(refused.body.error).toBe('invalid_grant')
  }
  await f.expectNothingMinted()
})
