import { Sha256 } from '@aws-crypto/sha256-js'
import { IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam'
import { AssumeRoleCommand, type AssumeRoleCommandInput, STSClient } from '@aws-sdk/client-sts'
import { SignatureV4 } from '@smithy/signature-v4'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type AwsCredentials, type AwsSandbox, startAwsSandbox } from './index.js'

const HANDLE = 'deploy-bot@agents.acme.dev'
const OBJECT = 'arn:aws:s3:::reports/2026/q1.csv'

let now = Date.now()
let sandbox: AwsSandbox
let roleArn: string
let admin: { accessKeyId: string; secretAccessKey: string }

beforeEach(async () => {
  now = Date.now()
  sandbox = await startAwsSandbox({ now: () => now })
  roleArn = sandbox.createRole({
    name: 'deployer',
    maxSessionDurationSeconds: 7200,
    permissions: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:*', 'ec2:Describe*'], Resource: '*' }] },
  }).arn
  admin = sandbox.addAccessKey({ iam: true })
})
afterEach(() => sandbox.close())

async function session(input: Partial<AssumeRoleCommandInput> = {}): Promise<AwsCredentials> {
  const sts = new STSClient({ endpoint: sandbox.url, region: sandbox.region, credentials: admin, maxAttempts: 1 })
  const { Credentials: c } = await sts.send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'deploy-bot', SourceIdentity: HANDLE, ...input }),
  )
  return { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! }
}

const sessionPolicy = (actions: string[], resources: string[]) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: resources }] })

const revocationDeny = (handles: string[], before: Date) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceIdentity': handles }, DateLessThan: { 'aws:TokenIssueTime': before.toISOString() } },
      },
    ],
  })

describe('checkAccess', () => {
  it('allows only what both the role permissions and the session policy allow', async () => {
    const credentials = await session({ Policy: sessionPolicy(['s3:GetObject', 'iam:*'], ['arn:aws:s3:::reports/*', '*']) })
    expect(sandbox.checkAccess({ credentials, action: 's3:GetObject', resource: OBJECT })).toBe('allowed')
    expect(sandbox.checkAccess({ credentials, action: 'S3:getobject', resource: OBJECT })).toBe('allowed')
    expect(sandbox.checkAccess({ credentials, action: 's3:PutObject', resource: OBJECT })).toBe('implicitDeny')
    // In the session policy but not in the role's permissions.
    expect(sandbox.checkAccess({ credentials, action: 'iam:ListRoles', resource: '*' })).toBe('implicitDeny')
  })

  it('without a session policy, the role permissions decide', async () => {
    const credentials = await session()
    expect(sandbox.checkAccess({ credentials, action: 's3:PutObject', resource: OBJECT })).toBe('allowed')
    expect(sandbox.checkAccess({ credentials, action: 'ec2:TerminateInstances', resource: '*' })).toBe('implicitDeny')
  })

  it('denies sessions of a revoked source identity issued before the revocation, and only those', async () => {
    const before = await session()
    const otherAgent = await session({ SourceIdentity: 'other-bot@agents.acme.dev', RoleSessionName: 'other-bot' })
    now += 5_000
    const iam = new IAMClient({ endpoint: sandbox.url, region: sandbox.region, credentials: admin, maxAttempts: 1 })
    await iam.send(new PutRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'lanyard-revocations', PolicyDocument: revocationDeny([HANDLE], new Date(now)) }))
    now += 5_000
    const after = await session()

    expect(sandbox.checkAccess({ credentials: before, action: 's3:GetObject', resource: OBJECT })).toBe('explicitDeny')
    expect(sandbox.checkAccess({ credentials: otherAgent, action: 's3:GetObject', resource: OBJECT })).toBe('allowed')
    expect(sandbox.checkAccess({ credentials: after, action: 's3:GetObject', resource: OBJECT })).toBe('allowed')
  })

  it('refuses expired sessions, forged tokens and wrong secrets as AWS does', async () => {
    const credentials = await session({ DurationSeconds: 900 })
    expect(() => sandbox.checkAccess({ credentials: { ...credentials, sessionToken: 'forged' }, action: 's3:GetObject', resource: OBJECT })).toThrow(
      expect.objectContaining({ code: 'InvalidClientTokenId' }),
    )
    expect(() => sandbox.checkAccess({ credentials: { ...credentials, secretAccessKey: 'wrong' }, action: 's3:GetObject', resource: OBJECT })).toThrow(
      expect.objectContaining({ code: 'SignatureDoesNotMatch' }),
    )
    now += 900_000
    expect(() => sandbox.checkAccess({ credentials, action: 's3:GetObject', resource: OBJECT })).toThrow(
      expect.objectContaining({ code: 'ExpiredToken', message: 'The security token included in the request is expired' }),
    )
  })
})

describe('SimulateSessionAccess over HTTP', () => {
  async function simulate(credentials: AwsCredentials, action: string, resource: string): Promise<{ status: number; body: string }> {
    const url = new URL(sandbox.url)
    const body = new URLSearchParams({ Action: 'SimulateSessionAccess', Version: '2011-06-15', ActionName: action, ResourceArn: resource }).toString()
    const signer = new SignatureV4({ credentials, region: sandbox.region, service: 'sts', sha256: Sha256 })
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      query: {},
      headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    }, { signingDate: new Date(now) })
    const response = await fetch(sandbox.url, { method: 'POST', headers: signed.headers, body })
    return { status: response.status, body: await response.text() }
  }

  it('answers the decision for a correctly signed request and refuses a wrong secret', async () => {
    const credentials = await session({ Policy: sessionPolicy(['s3:GetObject'], ['arn:aws:s3:::reports/*']) })
    expect(await simulate(credentials, 's3:GetObject', OBJECT)).toMatchObject({ status: 200, body: expect.stringContaining('<EvalDecision>allowed</EvalDecision>') })
    expect(await simulate(credentials, 's3:DeleteObject', OBJECT)).toMatchObject({ body: expect.stringContaining('<EvalDecision>implicitDeny</EvalDecision>') })
    expect(await simulate({ ...credentials, secretAccessKey: 'wrong' }, 's3:GetObject', OBJECT)).toMatchObject({
      status: 403,
      body: expect.stringContaining('<Code>SignatureDoesNotMatch</Code>'),
    })
    now += 3600_000
    expect(await simulate(credentials, 's3:GetObject', OBJECT)).toMatchObject({ status: 400, body: expect.stringContaining('<Code>ExpiredToken</Code>') })
  })
})
