import {
  DeleteRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam'
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type AwsSandbox, ROLE_INLINE_POLICY_MAX_CHARS, startAwsSandbox } from './index.js'

let sandbox: AwsSandbox
let iam: IAMClient

beforeEach(async () => {
  sandbox = await startAwsSandbox()
  sandbox.createRole({
    name: 'deployer',
    maxSessionDurationSeconds: 7200,
    permissions: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
  })
  iam = client(sandbox.addAccessKey({ iam: true }))
})
afterEach(() => sandbox.close())

function client(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): IAMClient {
  return new IAMClient({ endpoint: sandbox.url, region: sandbox.region, credentials, maxAttempts: 1 })
}

const denyAll = (sid: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: sid, Effect: 'Deny', Action: '*', Resource: '*' }] })

describe('inline role policies', () => {
  it('puts, reads (URL-encoded, as IAM returns it), lists and deletes a role policy', async () => {
    await iam.send(new PutRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'lanyard-revocations', PolicyDocument: denyAll('A') }))
    await iam.send(new PutRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'lanyard-revocations', PolicyDocument: denyAll('B') }))
    const got = await iam.send(new GetRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'lanyard-revocations' }))
    expect(got.PolicyDocument).toBe(encodeURIComponent(denyAll('B')))
    expect(sandbox.rolePolicies('deployer')).toEqual({ 'lanyard-revocations': denyAll('B') })
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'deployer' }))).PolicyNames).toEqual(['lanyard-revocations'])

    await iam.send(new DeleteRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'lanyard-revocations' }))
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'deployer' }))).PolicyNames).toEqual([])
    await expect(iam.send(new DeleteRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'lanyard-revocations' }))).rejects.toMatchObject({
      name: 'NoSuchEntityException',
      $metadata: { httpStatusCode: 404 },
    })
  })

  it('reports the role and its maximum session duration', async () => {
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'deployer' }))
    expect(Role).toMatchObject({ RoleName: 'deployer', MaxSessionDuration: 7200, Arn: `arn:aws:iam::${sandbox.accountId}:role/deployer` })
    await expect(iam.send(new GetRoleCommand({ RoleName: 'nobody' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' })
  })

  it('refuses callers without IAM rights: keys without them, sessions whose role permissions lack them', async () => {
    const plain = sandbox.addAccessKey({ userName: 'broker' })
    const put = new PutRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'p', PolicyDocument: denyAll('A') })
    await expect(client(plain).send(put)).rejects.toMatchObject({
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
      message: expect.stringMatching(/^User: arn:aws:iam::123456789012:user\/broker is not authorized to perform: iam:PutRolePolicy/),
    })
    const sts = new STSClient({ endpoint: sandbox.url, region: sandbox.region, credentials: plain, maxAttempts: 1 })
    const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${sandbox.accountId}:role/deployer`, RoleSessionName: 's1' }))
    await expect(
      client({ accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! }).send(put),
    ).rejects.toMatchObject({ name: 'AccessDenied' })
    expect(sandbox.rolePolicies('deployer')).toEqual({})
  })

  it('lets session credentials write role policies where their role permissions allow it', async () => {
    const revoker = sandbox.createRole({
      name: 'revoker',
      permissions: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: ['iam:PutRolePolicy', 'iam:GetRolePolicy'], Resource: `arn:aws:iam::${sandbox.accountId}:role/deployer` }],
      },
    })
    const sts = new STSClient({ endpoint: sandbox.url, region: sandbox.region, credentials: sandbox.addAccessKey(), maxAttempts: 1 })
    const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: revoker.arn, RoleSessionName: 'lanyard-revoker' }))
    const asRevoker = client({ accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! })
    await asRevoker.send(new PutRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'p', PolicyDocument: denyAll('A') }))
    expect(Object.keys(sandbox.rolePolicies('deployer'))).toEqual(['p'])
    await expect(asRevoker.send(new DeleteRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'p' }))).rejects.toMatchObject({ name: 'AccessDenied' })
    await expect(asRevoker.send(new PutRolePolicyCommand({ RoleName: 'revoker', PolicyName: 'p', PolicyDocument: denyAll('A') }))).rejects.toMatchObject({
      name: 'AccessDenied',
    })
  })

  it('keeps the inline policies of a role within 10,240 characters in total, white space not counted', async () => {
    const statement = (i: number) => ({ Sid: `S${i}`, Effect: 'Deny', Action: '*', Resource: `arn:aws:s3:::bucket-${String(i).padStart(4, '0')}/*` })
    const document = (from: number, count: number) =>
      JSON.stringify({ Version: '2012-10-17', Statement: Array.from({ length: count }, (_, i) => statement(from + i)) }, null, 2)
    const first = document(0, 60)
    const firstSize = first.replace(/\s/g, '').length
    expect(first.length).toBeGreaterThan(firstSize)
    await iam.send(new PutRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'one', PolicyDocument: first }))

    const size = (text: string) => text.replace(/\s/g, '').length
    let fits = 0
    while (firstSize + size(document(100, fits + 1)) <= ROLE_INLINE_POLICY_MAX_CHARS) fits++
    await iam.send(new PutRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'two', PolicyDocument: document(100, fits) }))
    await expect(
      iam.send(new PutRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'two', PolicyDocument: document(100, fits + 1) })),
    ).rejects.toMatchObject({
      name: 'LimitExceededException',
      $metadata: { httpStatusCode: 409 },
      message: `Maximum policy size of 10240 bytes exceeded for role deployer`,
    })
    // Replacing a policy counts its new size, not old + new.
    await iam.send(new PutRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'one', PolicyDocument: denyAll('small') }))
    await iam.send(new PutRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'two', PolicyDocument: document(100, fits + 1) }))
  })

  it.each([
    ['invalid JSON', '{"Version":', 'Syntax errors in policy.'],
    ['a statement without resources', JSON.stringify({ Statement: [{ Effect: 'Deny', Action: '*' }] }), 'Policy statement must contain resources.'],
    ['an unknown condition operator', JSON.stringify({ Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringSorta: { a: 'b' } } }] }), 'Invalid Condition type : StringSorta'],
    ['a principal in an identity policy', JSON.stringify({ Statement: [{ Effect: 'Deny', Principal: '*', Action: '*', Resource: '*' }] }), 'Policy document should not specify a principal.'],
  ])('refuses %s as MalformedPolicyDocument', async (_name, document, message) => {
    await expect(iam.send(new PutRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'p', PolicyDocument: document }))).rejects.toMatchObject({
      name: 'MalformedPolicyDocumentException',
      message,
    })
  })

  it('answers NoSuchEntity for an unknown role', async () => {
    await expect(iam.send(new ListRolePoliciesCommand({ RoleName: 'nobody' }))).rejects.toMatchObject({
      name: 'NoSuchEntityException',
      message: 'The role with name nobody cannot be found.',
    })
  })
})

describe('eventual consistency (iamPropagationMs)', () => {
  it('a deny is read back at once but stops a session only once IAM has applied it; AccessDenied then names the explicit deny', async () => {
    // A clock that moves only when told (SigV4 allows the requests' real time 15 minutes of skew).
    const start = Date.now()
    let offsetMs = 0
    const delayed = await startAwsSandbox({ now: () => start + offsetMs, iamPropagationMs: 5_000 })
    try {
      delayed.createRole({ name: 'deployer' })
      const admin = new IAMClient({ endpoint: delayed.url, region: delayed.region, credentials: delayed.addAccessKey({ iam: true }), maxAttempts: 1 })
      const sts = new STSClient({ endpoint: delayed.url, region: delayed.region, credentials: delayed.addAccessKey(), maxAttempts: 1 })
      const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${delayed.accountId}:role/deployer`, RoleSessionName: 's1' }))
      const credentials = { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! }
      const session = new IAMClient({ endpoint: delayed.url, region: delayed.region, credentials, maxAttempts: 1 })
      const resource = 'arn:aws:s3:::reports/q1.csv'

      await admin.send(new PutRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'lanyard-revocations', PolicyDocument: denyAll('Cut') }))
      expect(delayed.rolePolicies('deployer')).toEqual({ 'lanyard-revocations': denyAll('Cut') })
      expect(delayed.checkAccess({ credentials, action: 's3:GetObject', resource })).toBe('allowed')
      await expect(session.send(new GetRoleCommand({ RoleName: 'deployer' }))).resolves.toBeDefined()

      offsetMs += 4_999
      expect(delayed.checkAccess({ credentials, action: 's3:GetObject', resource })).toBe('allowed')
      offsetMs += 1
      expect(delayed.checkAccess({ credentials, action: 's3:GetObject', resource })).toBe('explicitDeny')
      await expect(session.send(new GetRoleCommand({ RoleName: 'deployer' }))).rejects.toMatchObject({
        name: 'AccessDenied',
        message: expect.stringMatching(/not authorized to perform: iam:GetRole on resource: role deployer with an explicit deny in an identity-based policy$/),
      })
      // Deleting it is eventually consistent too.
      await admin.send(new DeleteRolePolicyCommand({ RoleName: 'deployer', PolicyName: 'lanyard-revocations' }))
      expect(delayed.checkAccess({ credentials, action: 's3:GetObject', resource })).toBe('explicitDeny')
      offsetMs += 5_000
      expect(delayed.checkAccess({ credentials, action: 's3:GetObject', resource })).toBe('allowed')
      admin.destroy()
      sts.destroy()
      session.destroy()
    } finally {
      await delayed.close()
    }
  })
})
