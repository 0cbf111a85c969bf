import { randomBytes } from 'node:crypto'
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type AwsSandbox, startAwsSandbox } from './index.js'

// The stand-in's clock starts at the wall clock (the SDK signs with it) and moves only by hand.
let now = Date.now()
let sandbox: AwsSandbox

beforeEach(async () => {
  now = Date.now()
  sandbox = await startAwsSandbox({ now: () => now })
})
afterEach(() => sandbox.close())

function sts(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }, extra = {}): STSClient {
  return new STSClient({ endpoint: sandbox.url, region: sandbox.region, credentials, maxAttempts: 1, ...extra })
}

const assume = (input: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]> & { RoleArn: string }) =>
  new AssumeRoleCommand({ RoleSessionName: 'deploy-bot', ...input })

describe('AssumeRole', () => {
  it('issues temporary credentials that carry the source identity and session tags', async () => {
    const key = sandbox.addAccessKey()
    const { arn } = sandbox.createRole({ name: 'deployer', maxSessionDurationSeconds: 7200 })
    const out = await sts(key).send(
      assume({
        RoleArn: arn,
        RoleSessionName: 'deploy-bot@agents.acme.dev',
        DurationSeconds: 7200,
        SourceIdentity: 'deploy-bot@agents.acme.dev',
        Tags: [{ Key: 'lanyard:agent', Value: 'deploy-bot@agents.acme.dev' }, { Key: 'lanyard:grant', Value: 'g-1' }],
        TransitiveTagKeys: ['lanyard:agent', 'lanyard:grant'],
      }),
    )
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/)
    expect(out.Credentials?.SecretAccessKey).toBeTruthy()
    expect(out.Credentials?.SessionToken).toBeTruthy()
    // AWS times have whole seconds: the session counts from the second it was issued in.
    expect(out.Credentials?.Expiration?.getTime()).toBe(Math.floor(now / 1000) * 1000 + 7200_000)
    expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${sandbox.accountId}:assumed-role/deployer/deploy-bot@agents.acme.dev`)
    expect(out.SourceIdentity).toBe('deploy-bot@agents.acme.dev')
    expect(out.PackedPolicySize).toBeGreaterThan(0)
    expect(sandbox.session(out.Credentials!.AccessKeyId!)).toMatchObject({
      roleArn: arn,
      sessionName: 'deploy-bot@agents.acme.dev',
      sourceIdentity: 'deploy-bot@agents.acme.dev',
      tags: { 'lanyard:agent': 'deploy-bot@agents.acme.dev', 'lanyard:grant': 'g-1' },
      transitiveTagKeys: ['lanyard:agent', 'lanyard:grant'],
    })

    const c = out.Credentials!
    const who = await sts({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! }).send(
      new GetCallerIdentityCommand({}),
    )
    expect(who.Arn).toBe(out.AssumedRoleUser?.Arn)
  })

  it('refuses a wrong secret, an unknown key and a session token next to long-term keys', async () => {
    const key = sandbox.addAccessKey()
    const { arn } = sandbox.createRole({ name: 'deployer' })
    await expect(sts({ ...key, secretAccessKey: 'x'.repeat(40) }).send(assume({ RoleArn: arn }))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    })
    await expect(sts({ ...key, accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' }).send(assume({ RoleArn: arn }))).rejects.toMatchObject({
      name: 'InvalidClientTokenId',
      $metadata: { httpStatusCode: 403 },
    })
    await expect(sts({ ...key, sessionToken: 'forged' }).send(assume({ RoleArn: arn }))).rejects.toMatchObject({
      name: 'InvalidClientTokenId',
    })
    expect(sandbox.sessions()).toHaveLength(0)
  })

  it('refuses a body changed after signing', async () => {
    const key = sandbox.addAccessKey()
    const { arn } = sandbox.createRole({ name: 'deployer' })
    const client = sts(key)
    client.middlewareStack.addRelativeTo(
      tamper((body) => body.replace('DurationSeconds=900', 'DurationSeconds=901')),
      { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'tamper' },
    )
    await expect(client.send(assume({ RoleArn: arn, DurationSeconds: 900 }))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' })
  })

  it('refuses a signature more than 15 minutes off the service clock, and the SDK corrects its clock from Date', async () => {
    const key = sandbox.addAccessKey()
    const { arn } = sandbox.createRole({ name: 'deployer' })
    now = Date.now() + 20 * 60 * 1000
    await expect(sts(key).send(assume({ RoleArn: arn }))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      message: expect.stringMatching(/^Signature expired/),
    })
    await expect(sts(key, { maxAttempts: 2 }).send(assume({ RoleArn: arn }))).resolves.toBeDefined()
  })

  it('answers AccessDenied for a role that does not exist or does not trust the caller', async () => {
    const key = sandbox.addAccessKey({ userName: 'ci' })
    const other = sandbox.createRole({
      name: 'other',
      trustPolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:user/someone-else' }, Action: 'sts:AssumeRole' }],
      },
    })
    const missing = `arn:aws:iam::${sandbox.accountId}:role/missing`
    await expect(sts(key).send(assume({ RoleArn: missing }))).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } })
    await expect(sts(key).send(assume({ RoleArn: other.arn }))).rejects.toMatchObject({
      name: 'AccessDenied',
      message: `User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole on resource: ${other.arn}`,
    })
  })

  it('checks ExternalId where the trust policy requires it', async () => {
    const key = sandbox.addAccessKey()
    const { arn } = sandbox.createRole({ name: 'deployer', externalId: 'lanyard-7f3a' })
    await expect(sts(key).send(assume({ RoleArn: arn }))).rejects.toMatchObject({ name: 'AccessDenied' })
    await expect(sts(key).send(assume({ RoleArn: arn, ExternalId: 'lanyard-0000' }))).rejects.toMatchObject({ name: 'AccessDenied' })
    await expect(sts(key).send(assume({ RoleArn: arn, ExternalId: 'lanyard-7f3a' }))).resolves.toBeDefined()
  })

  it('needs sts:TagSession and sts:SetSourceIdentity in the trust policy for tags and source identity', async () => {
    const key = sandbox.addAccessKey()
    const { arn } = sandbox.createRole({
      name: 'plain',
      trustPolicy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '123456789012' }, Action: 'sts:AssumeRole' }] },
    })
    await expect(sts(key).send(assume({ RoleArn: arn }))).resolves.toBeDefined()
    await expect(sts(key).send(assume({ RoleArn: arn, Tags: [{ Key: 'a', Value: 'b' }] }))).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining('sts:TagSession'),
    })
    await expect(sts(key).send(assume({ RoleArn: arn, SourceIdentity: 'deploy-bot' }))).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining('sts:SetSourceIdentity'),
    })
  })

  it.each([
    ['a RoleSessionName outside [\\w+=,.@-]', { RoleSessionName: 'deploy bot' }, /roleSessionName.*regular expression/],
    ['a RoleSessionName over 64 characters', { RoleSessionName: 'a'.repeat(65) }, /roleSessionName.*less than or equal to 64/],
    ['a one-character RoleSessionName', { RoleSessionName: 'a' }, /greater than or equal to 2/],
    ['DurationSeconds under 900', { DurationSeconds: 899 }, /durationSeconds.*greater than or equal to 900/],
    ['DurationSeconds over the role maximum', { DurationSeconds: 3601 }, /exceeds the MaxSessionDuration set for this role/],
    ['a SourceIdentity outside the pattern', { SourceIdentity: 'deploy/bot' }, /sourceIdentity.*regular expression/],
    ['a SourceIdentity over 64 characters', { SourceIdentity: 's'.repeat(65) }, /sourceIdentity.*less than or equal to 64/],
  ])('refuses %s with ValidationError', async (_name, input, message) => {
    const key = sandbox.addAccessKey()
    const { arn } = sandbox.createRole({ name: 'deployer' })
    await expect(sts(key).send(assume({ RoleArn: arn, ...input }))).rejects.toMatchObject({
      name: 'ValidationError',
      $metadata: { httpStatusCode: 400 },
      message: expect.stringMatching(message),
    })
    expect(sandbox.sessions()).toHaveLength(0)
  })

  it('refuses transitive tag keys that are not session tags, and reserved tag keys', async () => {
    const key = sandbox.addAccessKey()
    const { arn } = sandbox.createRole({ name: 'deployer' })
    await expect(
      sts(key).send(assume({ RoleArn: arn, Tags: [{ Key: 'a', Value: 'b' }], TransitiveTagKeys: ['c'] })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' })
    await expect(sts(key).send(assume({ RoleArn: arn, Tags: [{ Key: 'aws:x', Value: 'b' }] }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
    })
  })

  describe('session policy', () => {
    it('refuses a malformed policy', async () => {
      const key = sandbox.addAccessKey()
      const { arn } = sandbox.createRole({ name: 'deployer' })
      const bad = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject' }] })
      await expect(sts(key).send(assume({ RoleArn: arn, Policy: bad }))).rejects.toMatchObject({
        name: 'MalformedPolicyDocumentException',
        Code: 'MalformedPolicyDocument',
        message: 'Policy statement must contain resources.',
      })
    })

    it('refuses a policy over 2,048 characters', async () => {
      const key = sandbox.addAccessKey()
      const { arn } = sandbox.createRole({ name: 'deployer' })
      const policy = allowResources(Array.from({ length: 100 }, (_, i) => `arn:aws:s3:::bucket-${i}/*`))
      expect(policy.length).toBeGreaterThan(2048)
      await expect(sts(key).send(assume({ RoleArn: arn, Policy: policy }))).rejects.toMatchObject({
        name: 'ValidationError',
        message: expect.stringContaining('less than or equal to 2048'),
      })
    })

    it('refuses a policy under 2,048 characters whose packed form is over the limit', async () => {
      const key = sandbox.addAccessKey()
      const { arn } = sandbox.createRole({ name: 'deployer' })
      // Random names do not compress: the packed form stays close to the plain size.
      const names = Array.from({ length: 40 }, () => `arn:aws:s3:::${randomBytes(22).toString('base64url')}`)
      const policy = allowResources(names)
      expect(policy.length).toBeLessThanOrEqual(2048)
      await expect(sts(key).send(assume({ RoleArn: arn, Policy: policy }))).rejects.toMatchObject({
        name: 'PackedPolicyTooLargeException',
        Code: 'PackedPolicyTooLarge',
        message: expect.stringMatching(/^Packed size of policy and tags exceeds \d+% of the allowed limit/),
      })
    })

    it('reports the packed size of an ordinary policy as a share of the limit', async () => {
      const key = sandbox.addAccessKey()
      const { arn } = sandbox.createRole({ name: 'deployer' })
      const out = await sts(key).send(assume({ RoleArn: arn, Policy: allowResources(['arn:aws:s3:::reports/*']) }))
      expect(out.PackedPolicySize).toBeGreaterThan(0)
      expect(out.PackedPolicySize).toBeLessThan(30)
    })
  })
})

/** A middleware that rewrites the body after the SDK signed it. */
function tamper(edit: (body: string) => string): Parameters<STSClient['middlewareStack']['addRelativeTo']>[0] {
  const middleware = (next: (args: unknown) => Promise<unknown>) => async (args: { request: { body: string } }) => {
    args.request.body = edit(args.request.body)
    return next(args)
  }
  return middleware as unknown as Parameters<STSClient['middlewareStack']['addRelativeTo']>[0]
}

function allowResources(resources: string[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: resources }] })
}
