import { startAwsSandbox, type AwsSandbox } from '@lanyard/sandbox'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestAgent, jwtType, tokenExchange, uniqueHandle } from '../support/agent.js'
import { startTestBroker, type TestBroker } from '../support/broker.js'

// #17 upstream: a grant made with an actor carries the act chain to AWS as the `lanyard:act` session tag.
let aws: AwsSandbox
let t: TestBroker
let roleArn: string
const ceiling = ['s3:GetObject', 'resource:arn:aws:s3:::reports/*']

beforeAll(async () => {
  aws = await startAwsSandbox()
  t = await startTestBroker({ config: { sandbox: true, upstream: { allowInsecureUpstreamHttp: true }, systems: [{ name: 'aws-prod', type: 'aws', endpoint: aws.url, region: aws.region }] } })
  const provider = await aws.addOidcProvider({ url: t.issuer, audiences: ['sts.amazonaws.com'] })
  const host = t.issuer.replace(/^https?:\/\//, '')
  roleArn = aws.createRole({
    name: 'agents-act',
    maxSessionDurationSeconds: 3600,
    trustPolicy: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Federated: provider.arn }, Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession', 'sts:SetSourceIdentity'], Condition: { StringEquals: { [`${host}:aud`]: 'sts.amazonaws.com' }, StringLike: { [`${host}:sub`]: ['*@agents.test.dev', 'lanyard-binding-check'] } } }],
    },
  }).arn
})
afterAll(async () => {
  await t?.close()
  await aws?.close()
})

it('stamps the session with the actor (lanyard:act) beside the subject (lanyard:agent); without an actor there is no such tag', async () => {
  const subject = await createTestAgent(t, { handle: uniqueHandle('subject'), bindings: [{ system: 'aws-prod', target: { roleArn, maxDurationSeconds: 3600 }, ceiling }] })
  const actor = await createTestAgent(t, { handle: uniqueHandle('actor') })
  const set = await t.admin('POST', `/v1/agents/${subject.handle}/delegations`, { actor: actor.handle, systems: ['aws-prod'], scopes: ceiling, expiresAt: new Date(Date.now() + 3_600_000).toISOString() })
  expect(set.status).toBe(201)
  const exchange = async (withActor: boolean) =>
    t.form('/oauth/token', {
      grant_type: tokenExchange, subject_token: await subject.token(), subject_token_type: jwtType, resource: 'urn:lanyard:system:aws-prod', scope: ceiling.join(' '),
      ...(withActor ? { actor_token: await actor.token(), actor_token_type: jwtType } : {}),
    })
  const acted = await exchange(true)
  expect(acted.status).toBe(200)
  const session = aws.session(acted.body.aws_credentials.access_key_id)!
  expect(session.tags).toMatchObject({ 'lanyard:agent': subject.handle, 'lanyard:act': actor.handle, 'lanyard:grant': acted.body.grant_id })
  expect(session.sourceIdentity).toBe(subject.handle)
  const plain = await exchange(false)
  expect(aws.session(plain.body.aws_credentials.access_key_id)!.tags['lanyard:act']).toBeUndefined()
})
