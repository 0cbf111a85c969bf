import { describe, expect, it } from 'vitest'
import { githubActionsRule, kubernetesRule, matchesTrustRule, parseTrustRule, spiffeRule, type NewTrustRule, type TrustRule } from './trust-rule.js'

const gha = 'https://token.actions.githubusercontent.com'
const issuers = new Set([gha, 'https://k8s.example', 'https://spire.example'])
const rule = (input: NewTrustRule): TrustRule => ({ id: 'r1', handle: 'bot@agents.acme.dev', claims: {}, createdAt: new Date(0), ...input })
const ghaToken = (overrides: Record<string, unknown> = {}) => ({
  iss: gha,
  aud: 'https://lanyard.acme.dev',
  sub: 'repo:acme/api:ref:refs/heads/main',
  repository: 'acme/api',
  repository_owner: 'acme',
  ref: 'refs/heads/main',
  workflow_ref: 'acme/api/.github/workflows/deploy.yml@refs/heads/main',
  ...overrides,
})

describe('parseTrustRule', () => {
  it('accepts the issue example and keeps its fields', () => {
    const input = { issuer: gha, audience: 'https://lanyard.acme.dev', subject: 'repo:acme/api:ref:refs/heads/main', claims: { repository_owner: 'acme', workflow_ref: 'acme/api/.github/workflows/deploy.yml@**' } }
    expect(parseTrustRule(input, issuers)).toEqual(input)
  })

  it('refuses an issuer that is not configured, even one that only differs by case or suffix', () => {
    for (const issuer of ['https://token.actions.githubusercontent.com.evil.example', 'https://TOKEN.actions.githubusercontent.com', `${gha}/`]) {
      expect(() => parseTrustRule({ issuer, audience: 'a', subject: 'repo:acme/api' }, issuers)).toThrow(expect.objectContaining({ code: 'ERR_ISSUER_UNKNOWN' }))
    }
  })

  it('names every bad field at once', () => {
    expect(() => parseTrustRule({ issuer: gha, audience: '*', subject: '*', claims: { aud: 'x', ok: '**' }, extra: 1 }, issuers)).toThrow(
      expect.objectContaining({ code: 'ERR_REQUEST_INVALID', issues: expect.arrayContaining(['extra: unknown field', 'audience: expected one exact audience', expect.stringMatching(/^subject:/), expect.stringMatching(/^claims\.aud:/), expect.stringMatching(/^claims\.ok:/)]) }),
    )
  })

  it('checks shapes: GitHub subject and claims, Kubernetes subject, SPIFFE literal trust domain', () => {
    expect(() => parseTrustRule({ issuer: gha, audience: 'a', subject: 'repo:*/api', shape: 'github-actions' }, issuers)).toThrow(/GitHub Actions subject/)
    expect(() => parseTrustRule({ issuer: gha, audience: 'a', subject: 'repo:acme/api', shape: 'github-actions', claims: { made_up: 'x' } }, issuers)).toThrow(/not a documented/)
    expect(() => parseTrustRule({ issuer: 'https://k8s.example', audience: 'a', subject: 'system:serviceaccount:prod', shape: 'kubernetes' }, issuers)).toThrow(/serviceaccount/)
    expect(() => parseTrustRule({ issuer: 'https://spire.example', audience: 'a', subject: 'spiffe://*.acme.dev/api', shape: 'spiffe' }, issuers)).toThrow(/literal trust domain/)
  })
})

describe('matchesTrustRule', () => {
  const example = rule({ issuer: gha, audience: 'https://lanyard.acme.dev', subject: 'repo:acme/*:ref:refs/heads/main', claims: { repository_owner: 'acme', workflow_ref: 'acme/api/.github/workflows/deploy.yml@**' } })

  it('matches a token that meets every condition', () => {
    expect(matchesTrustRule(example, ghaToken())).toBe(true)
  })

  it.each([
    ['another issuer', { iss: 'https://token.actions.githubusercontent.com.evil.example' }],
    ['another audience', { aud: 'https://other.example' }],
    ['an audience list without ours', { aud: ['x', 'y'] }],
    ['a lookalike owner in sub', { sub: 'repo:acme-evil/api:ref:refs/heads/main' }],
    ['another branch', { sub: 'repo:acme/api:ref:refs/heads/dev' }],
    ['a missing claim', { workflow_ref: undefined }],
    ['a claim of another type', { repository_owner: ['acme'] }],
    ['another workflow', { workflow_ref: 'acme/api/.github/workflows/other.yml@refs/heads/main' }],
  ])('refuses %s', (_name, overrides) => {
    const token: Record<string, unknown> = ghaToken(overrides)
    for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete token[k]
    expect(matchesTrustRule(example, token)).toBe(false)
  })

  it('GitHub shape: repository_owner must agree with the owner in sub', () => {
    const shaped = rule(githubActionsRule({ audience: 'https://lanyard.acme.dev', repository: 'acme/api', ref: 'refs/heads/main' }))
    expect(matchesTrustRule(shaped, ghaToken())).toBe(true)
    expect(matchesTrustRule({ ...shaped, claims: {} }, ghaToken({ repository_owner: 'evil' }))).toBe(false)
  })

  it('Kubernetes shape: the kubernetes.io claim must agree with sub', () => {
    const k8s = rule(kubernetesRule({ issuer: 'https://k8s.example', audience: 'lanyard', namespace: 'prod', serviceAccount: 'api' }))
    const token = { iss: 'https://k8s.example', aud: ['lanyard'], sub: 'system:serviceaccount:prod:api', 'kubernetes.io': { namespace: 'prod', serviceaccount: { name: 'api', uid: 'u' }, pod: { name: 'p', uid: 'q' } } }
    expect(matchesTrustRule(k8s, token)).toBe(true)
    expect(matchesTrustRule(k8s, { ...token, 'kubernetes.io': { namespace: 'dev', serviceaccount: { name: 'api' } } })).toBe(false)
    expect(matchesTrustRule({ ...k8s, claims: {} }, { ...token, 'kubernetes.io': { namespace: 'dev', serviceaccount: { name: 'api' } } })).toBe(false)
  })

  it('SPIFFE shape: exact trust domain, well-formed ID', () => {
    const spiffe = rule(spiffeRule({ issuer: 'https://spire.example', audience: 'lanyard', trustDomain: 'acme.dev', path: '/ns/*/sa/api' }))
    const token = { iss: 'https://spire.example', aud: ['lanyard'], sub: 'spiffe://acme.dev/ns/prod/sa/api' }
    expect(matchesTrustRule(spiffe, token)).toBe(true)
    expect(matchesTrustRule(spiffe, { ...token, sub: 'spiffe://evil.dev/ns/prod/sa/api' })).toBe(false)
    expect(matchesTrustRule(spiffe, { ...token, sub: 'spiffe://acme.dev/ns/../sa/api' })).toBe(false)
    expect(matchesTrustRule(spiffe, { ...token, sub: 'spiffe://ACME.dev/ns/prod/sa/api' })).toBe(false)
  })
})
