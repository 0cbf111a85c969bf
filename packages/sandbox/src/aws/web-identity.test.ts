import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import { SignJWT, generateKeyPair } from 'jose'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type AwsSandbox, type OidcIssuer, startAwsSandbox, startOidcIssuer, webIdentityTrustPolicy } from './index.js'

const HANDLE = 'deploy-bot@agents.acme.dev'
const AUDIENCE = 'sts.amazonaws.com'

let now = Date.now()
let sandbox: AwsSandbox
let issuer: OidcIssuer
let roleArn: string
let sts: STSClient

beforeAll(async () => {
  issuer = await startOidcIssuer()
})
afterAll(() => issuer.close())

beforeEach(async () => {
  now = Date.now()
  sandbox = await startAwsSandbox({ now: () => now })
  const provider = await sandbox.addOidcProvider({ url: issuer.url, audiences: [AUDIENCE] })
  roleArn = sandbox.createRole({
    name: 'agents',
    trustPolicy: webIdentityTrustPolicy({ providerArn: provider.arn, subjects: ['*@agents.acme.dev'], audience: AUDIENCE }),
  }).arn
  // No credentials: AssumeRoleWithWebIdentity is an unsigned call.
  sts = new STSClient({ endpoint: sandbox.url, region: sandbox.region, maxAttempts: 1 })
  return () => sandbox.close()
})

const claims = (extra: Record<string, unknown> = {}) => ({
  sub: HANDLE,
  aud: AUDIENCE,
  'https://aws.amazon.com/source_identity': HANDLE,
  'https://aws.amazon.com/tags': {
    principal_tags: { 'lanyard:agent': [HANDLE], 'lanyard:grant': ['g-1'] },
    transitive_tag_keys: ['lanyard:agent', 'lanyard:grant'],
  },
  ...extra,
})
const assume = (token: string, extra = {}) =>
  sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: 'deploy-bot', WebIdentityToken: token, ...extra }))

describe('AssumeRoleWithWebIdentity', () => {
  it('exchanges a token from a registered provider for a session carrying its source identity and tags', async () => {
    const out = await assume(await issuer.sign(claims(), { now }), { DurationSeconds: 900 })
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA/)
    expect(out.Credentials?.Expiration?.getTime()).toBe(Math.floor(now / 1000) * 1000 + 900_000)
    expect(out.SubjectFromWebIdentityToken).toBe(HANDLE)
    expect(out.Audience).toBe(AUDIENCE)
    expect(out.Provider).toBe(issuer.url)
    expect(out.SourceIdentity).toBe(HANDLE)
    expect(sandbox.session(out.Credentials!.AccessKeyId!)).toMatchObject({
      sourceIdentity: HANDLE,
      tags: { 'lanyard:agent': HANDLE, 'lanyard:grant': 'g-1' },
      transitiveTagKeys: ['lanyard:agent', 'lanyard:grant'],
    })
  })

  it('refuses a token whose audience is not one of the provider client IDs', async () => {
    await expect(assume(await issuer.sign(claims({ aud: 'someone-else' }), { now }))).rejects.toMatchObject({
      name: 'InvalidIdentityTokenException',
      Code: 'InvalidIdentityToken',
      message: 'Incorrect token audience',
    })
  })

  it('refuses an expired token', async () => {
    const token = await issuer.sign(claims(), { now: now - 600_000, expiresInSeconds: 300 })
    await expect(assume(token)).rejects.toMatchObject({ name: 'ExpiredTokenException', message: expect.stringMatching(/^Token expired/) })
  })

  it('refuses a token signed by a key outside the provider JWKS, even with the right issuer and kid', async () => {
    const { privateKey } = await generateKeyPair('ES256')
    const genuine = await issuer.sign(claims(), { now })
    const kid = JSON.parse(Buffer.from(genuine.split('.')[0]!, 'base64url').toString()).kid as string
    const forged = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer(issuer.url)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(now / 1000) + 300)
      .sign(privateKey)
    await expect(assume(forged)).rejects.toMatchObject({ name: 'InvalidIdentityTokenException' })
    expect(sandbox.sessions()).toHaveLength(0)
  })

  it('refuses a token from an issuer with no IAM OIDC provider', async () => {
    const other = await startOidcIssuer()
    try {
      await expect(assume(await other.sign(claims(), { now }))).rejects.toMatchObject({
        name: 'InvalidIdentityTokenException',
        message: `No OpenIDConnect provider found in your account for ${other.url}`,
      })
    } finally {
      await other.close()
    }
  })

  it('refuses a subject the trust policy does not admit', async () => {
    await expect(assume(await issuer.sign(claims({ sub: 'intruder@example.com' }), { now }))).rejects.toMatchObject({
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    })
  })

  it('refuses malformed session-tag and source-identity claims with IDPRejectedClaim', async () => {
    const badTags = claims({ 'https://aws.amazon.com/tags': { principal_tags: { 'lanyard:agent': HANDLE } } })
    await expect(assume(await issuer.sign(badTags, { now }))).rejects.toMatchObject({ name: 'IDPRejectedClaimException' })
    const badIdentity = claims({ 'https://aws.amazon.com/source_identity': 'has space' })
    await expect(assume(await issuer.sign(badIdentity, { now }))).rejects.toMatchObject({ name: 'IDPRejectedClaimException' })
  })

  it('accepts tokens from a rotated key: an unknown kid makes it refetch the JWKS', async () => {
    await assume(await issuer.sign(claims(), { now }))
    await issuer.rotate()
    await expect(assume(await issuer.sign(claims(), { now }))).resolves.toBeDefined()
  })

  it('refuses DurationSeconds beyond the role maximum', async () => {
    await expect(assume(await issuer.sign(claims(), { now }), { DurationSeconds: 7200 })).rejects.toMatchObject({
      name: 'ValidationError',
    })
  })
})

describe('addOidcProvider', () => {
  it('refuses an issuer whose discovery document names another issuer', async () => {
    await expect(sandbox.addOidcProvider({ url: `${issuer.url}/`, audiences: [AUDIENCE] })).rejects.toThrow(/already exists/)
    await expect(sandbox.addOidcProvider({ url: 'https://example.com', audiences: [AUDIENCE] })).rejects.toThrow(/loopback only/)
  })
})
