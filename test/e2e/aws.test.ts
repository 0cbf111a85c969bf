import { AwsSandboxError, startAwsSandbox, type AwsSandbox } from '@lanyard/sandbox'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestAgent } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'
import { eventually } from '../support/memory.js'

// Web identity end to end: the broker is the OIDC provider AWS trusts; it holds no AWS secret.
describe('AWS end to end (web identity): exchange, session identity, whois, revoke through IAM', () => {
  let aws: AwsSandbox
  let t: TestBroker
  let roleArn: string
  const ceiling = ['s3:GetObject', 's3:PutObject', 'resource:arn:aws:s3:::reports/*']

  beforeAll(async () => {
    aws = await startAwsSandbox()
    const revokerArn = `arn:aws:iam::${aws.accountId}:role/lanyard-revoker`
    t = await startTestBroker({
      config: {
        sandbox: true,
        upstream: { allowInsecureUpstreamHttp: true },
        systems: [{ name: 'aws-prod', type: 'aws', endpoint: aws.url, region: aws.region, revocation: { roleArn: revokerArn } }],
      },
    })
    // What an AWS administrator sets up: the broker as an IAM OIDC provider, and trust in it.
    const provider = await aws.addOidcProvider({ url: t.issuer, audiences: ['sts.amazonaws.com'] })
    const host = t.issuer.replace(/^https?:\/\//, '')
    const trust = (subjects: string[]) => ({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Principal: { Federated: provider.arn },
        Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession', 'sts:SetSourceIdentity'],
        Condition: { StringEquals: { [`${host}:aud`]: 'sts.amazonaws.com' }, StringLike: { [`${host}:sub`]: subjects } },
      }],
    })
    roleArn = aws.createRole({ name: 'agents-deploy', maxSessionDurationSeconds: 3600, trustPolicy: trust(['*@agents.test.dev', 'lanyard-binding-check']) }).arn
    aws.createRole({
      name: 'lanyard-revoker',
      trustPolicy: trust(['lanyard-revoker']),
      permissions: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iam:GetRolePolicy', 'iam:PutRolePolicy'], Resource: roleArn }] },
    })
  })
  afterAll(async () => {
    await t?.close()
    await aws?.close()
  })

  const access = (credentials: { access_key_id: string; secret_access_key: string; session_token: string }, action: string, resource: string) => {
    try {
      return aws.checkAccess({ credentials: { accessKeyId: credentials.access_key_id, secretAccessKey: credentials.secret_access_key, sessionToken: credentials.session_token }, action, resource })
    } catch (error) {
      if (error instanceof AwsSandboxError) return error.code
      throw error
    }
  }

  it('issues session credentials stamped with the agent and narrowed to the request, then kills them through IAM', async () => {
    const agent = await createTestAgent(t, { bindings: [{ system: 'aws-prod', target: { roleArn, maxDurationSeconds: 3600 }, ceiling }] })
    const handleToken = await agent.token()
    const exchanged = await agent.exchange('aws-prod', 's3:GetObject resource:arn:aws:s3:::reports/*', handleToken)
    expect(exchanged.status).toBe(200)
    expect(exchanged.body.token_type).toBe('N_A')
    const credentials = exchanged.body.aws_credentials
    expect(credentials.access_key_id).toMatch(/^ASIA/)

    expect(access(credentials, 's3:GetObject', 'arn:aws:s3:::reports/q1.csv')).toBe('allowed')
    expect(access(credentials, 's3:PutObject', 'arn:aws:s3:::reports/q1.csv')).toBe('implicitDeny')
    expect(access(credentials, 's3:GetObject', 'arn:aws:s3:::secrets/key')).toBe('implicitDeny')

    const session = aws.session(credentials.access_key_id)!
    expect(session.sourceIdentity).toBe(agent.handle)
    expect(session.tags).toMatchObject({ 'lanyard:agent': agent.handle, 'lanyard:grant': exchanged.body.grant_id })
    expect(session.transitiveTagKeys).toEqual(expect.arrayContaining(['lanyard:agent', 'lanyard:grant']))
    expect(JSON.parse(session.sessionPolicy!)).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::reports/*'] }] })

    for (const query of [`aws_access_key_id=${credentials.access_key_id}`, `aws_source_identity=${encodeURIComponent(agent.handle)}`]) {
      const whois = await t.admin('GET', `/v1/whois?${query}`)
      expect(whois.body.matches).toEqual([expect.objectContaining({ handle: agent.handle, grant_id: exchanged.body.grant_id })])
    }

    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'incident' })
    await eventually(async () => (await t.admin('GET', `/v1/revocations/${revoked.body.revocation.id}`)).body.status === 'done')
    const job = await t.admin('GET', `/v1/revocations/${revoked.body.revocation.id}`)
    expect(job.body.tasks[0].outcome.kind).toBe('revoked')
    expect(access(credentials, 's3:GetObject', 'arn:aws:s3:::reports/q1.csv')).toBe('explicitDeny')
    expect(Object.keys(aws.rolePolicies('agents-deploy'))).toHaveLength(1)
    expect((await agent.exchange('aws-prod', 's3:GetObject resource:arn:aws:s3:::reports/*', handleToken)).body.error).toBe('invalid_grant')
  })

  it('refuses a request wider than the ceiling, naming the item', async () => {
    const agent = await createTestAgent(t, { bindings: [{ system: 'aws-prod', target: { roleArn, maxDurationSeconds: 3600 }, ceiling }] })
    const response = await agent.exchange('aws-prod', 's3:DeleteObject resource:arn:aws:s3:::reports/*')
    expect(response.body.error).toBe('invalid_scope')
    expect(response.body.error_description).toMatch(/s3:DeleteObject/)
    expect(aws.sessions().filter((s) => s.sourceIdentity === agent.handle)).toEqual([])
  })
})

// IAM is eventually consistent: the stand-in applies a deny 2.5 s after it is written.
describe('AWS end to end: a deny IAM has not applied yet is revoking, not revoked', () => {
  let aws: AwsSandbox
  let t: TestBroker
  let roleArn: string
  const propagationMs = 2_500

  beforeAll(async () => {
    aws = await startAwsSandbox({ iamPropagationMs: propagationMs })
    const key = aws.addAccessKey({ iam: true, userName: 'lanyard-broker' })
    roleArn = aws.createRole({ name: 'agents-slow' }).arn
    t = await startTestBroker({
      env: { AWS_SLOW_SECRET: key.secretAccessKey },
      config: {
        sandbox: true,
        upstream: { allowInsecureUpstreamHttp: true },
        systems: [{ name: 'aws-slow', type: 'aws', mode: 'assume-role', endpoint: aws.url, region: aws.region, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: { env: 'AWS_SLOW_SECRET' } } }],
      },
    })
  })
  afterAll(async () => {
    await t?.close()
    await aws?.close()
  })

  it('the task shows revoking while the session still works, then revoked; full dark includes the wait', async () => {
    const agent = await createTestAgent(t, { bindings: [{ system: 'aws-slow', target: { roleArn, maxDurationSeconds: 3600 }, ceiling: ['s3:GetObject', 'resource:*'] }] })
    const exchanged = await agent.exchange('aws-slow', 's3:GetObject resource:*', await agent.token())
    expect(exchanged.status).toBe(200)
    const c = exchanged.body.aws_credentials
    const access = () => aws.checkAccess({ credentials: { accessKeyId: c.access_key_id, secretAccessKey: c.secret_access_key, sessionToken: c.session_token }, action: 's3:GetObject', resource: 'arn:aws:s3:::reports/q1.csv' })

    const revoked = await t.admin('POST', `/v1/agents/${agent.handle}/revoke`, { reason: 'done' })
    const id = revoked.body.revocation.id
    let job = await t.admin('GET', `/v1/revocations/${id}`)
    await eventually(async () => {
      job = await t.admin('GET', `/v1/revocations/${id}`)
      return job.body.tasks[0].outcome !== undefined
    })
    expect(job.body.status).toBe('running')
    expect(job.body.tasks[0]).toMatchObject({ status: 'pending', outcome: { kind: 'revoking' }, last_error: expect.stringContaining('IAM has not applied it yet') })
    expect(access()).toBe('allowed')

    await eventually(async () => (await t.admin('GET', `/v1/revocations/${id}`)).body.status === 'done')
    job = await t.admin('GET', `/v1/revocations/${id}`)
    expect(job.body.tasks[0].outcome).toMatchObject({ kind: 'revoked', proof: 'dead' })
    expect(access()).toBe('explicitDeny')
    const receipt = await t.admin('GET', `/v1/revocations/${id}/receipt`)
    expect(new Date(receipt.body.full_dark_at).getTime() - new Date(job.body.created_at).getTime()).toBeGreaterThanOrEqual(propagationMs)
  })
})
