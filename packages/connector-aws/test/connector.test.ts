import { randomBytes } from 'node:crypto'
import { IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam'
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts'
import { BindingInvalid, ConfigInvalid, UpstreamRefused, createLocalMutex, type Mutex } from '@lanyard/connector-sdk'
import type { ConnectorInstance, IssueRequest, Issued, RevokeRequest } from '@lanyard/connector-sdk'
import { createTestHost } from '@lanyard/connector-sdk/testing'
import { ROLE_INLINE_POLICY_MAX_CHARS } from '@lanyard/sandbox'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type AwsCredential, type AwsTarget, awsConnector, whoisKeys } from '../src/index.js'
import { type AwsWorld, type Mode, agentsDomain, ceiling, narrower, startAwsWorld } from './aws-setup.js'

let world: AwsWorld
beforeEach(async () => {
  world = await startAwsWorld()
})
afterEach(() => world.close())

async function connect(mode: Mode, extra: Record<string, unknown> = {}, mutex: Mutex = createLocalMutex()) {
  const result = await awsConnector.config['~standard'].validate(world.config(mode, extra))
  if ('issues' in result && result.issues) throw new Error(result.issues.map((i) => i.message).join('; '))
  const host = createTestHost({ clock: world.clock, signer: world.signer, allowInsecureUpstreamHttp: true, system: 'aws-test', mutex })
  return { instance: awsConnector.create(result.value, host), host }
}

const target = (): AwsTarget => ({ roleArn: world.roleArn, maxDurationSeconds: 3600, allowRoleChaining: false })
const signal = () => new AbortController().signal
const range = (n: number) => Array.from({ length: n }, (_, i) => i)
let grants = 0
function request(handle: string, scopes = narrower, overrides: Partial<IssueRequest<AwsTarget>> = {}): IssueRequest<AwsTarget> {
  return { grantId: `g-${++grants}`, agent: { handle, owner: 'owner@acme.test', tier: 1 }, target: target(), scopes, maxTtlSeconds: 3600, ...overrides }
}
const revokeRequest = (req: IssueRequest<AwsTarget>, issued: Issued<AwsCredential>): RevokeRequest => ({
  grantId: req.grantId,
  handle: req.agent.handle,
  ref: JSON.parse(JSON.stringify(issued.ref)),
  issuedAt: world.clock.now(),
  expiresAt: issued.expiresAt,
  ...(issued.revocationSecret === undefined ? {} : { secret: issued.revocationSecret }),
})
async function issueAndKeep(instance: ConnectorInstance<AwsTarget, AwsCredential>, handle: string) {
  const req = request(handle)
  return { req, issued: await instance.issue(req, signal()) }
}

describe.each(['web-identity', 'assume-role'] as const)('%s mode', (mode) => {
  it('mints a session carrying the agent: source identity, session name, transitive tags, whois keys', async () => {
    const { instance } = await connect(mode)
    const handle = `deploy-bot@${agentsDomain}`
    const req = request(handle)
    const issued = await instance.issue(req, signal())
    const aws = issued.credential.extra.aws_credentials
    expect(aws.access_key_id).toMatch(/^ASIA/)
    expect(new Date(aws.expiration).getTime()).toBe(issued.expiresAt.getTime())
    expect(issued.credential).toMatchObject({ tokenType: 'N_A', accessToken: aws.session_token })
    expect(world.sandbox.session(aws.access_key_id)).toMatchObject({
      roleArn: world.roleArn,
      sessionName: handle,
      sourceIdentity: handle,
      tags: { 'lanyard:agent': handle, 'lanyard:grant': req.grantId },
      transitiveTagKeys: ['lanyard:agent', 'lanyard:grant'],
    })
    expect(issued.index).toEqual({ [whoisKeys.accessKeyId]: aws.access_key_id, [whoisKeys.sessionName]: handle, [whoisKeys.sourceIdentity]: handle })
    expect(JSON.parse(world.sandbox.session(aws.access_key_id)!.sessionPolicy!)).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::reports/*'] }],
    })
  })

  it('revokes one grant: the agent\'s other grants and other agents keep working', async () => {
    const { instance } = await connect(mode)
    const a1 = await issueAndKeep(instance, `a@${agentsDomain}`)
    world.clock.advance(2000)
    const a2 = await issueAndKeep(instance, `a@${agentsDomain}`)
    const b = await issueAndKeep(instance, `b@${agentsDomain}`)
    await expect(instance.revoke(revokeRequest(a2.req, a2.issued), signal())).resolves.toEqual({ kind: 'revoked' })
    expect(await world.works(a2.issued.credential, [])).toBe(false)
    expect(await world.works(a1.issued.credential, [])).toBe(true)
    expect(await world.works(b.issued.credential, [])).toBe(true)
    expect(await instance.probe!(revokeRequest(a1.req, a1.issued), signal())).toBe('alive')
    expect(await instance.probe!(revokeRequest(a2.req, a2.issued), signal())).toBe('dead')
  })

  it('refuses a request whose session policy would exceed 2,048 characters, saying so', async () => {
    const { instance } = await connect(mode)
    const resources = Array.from({ length: 80 }, (_, i) => `resource:arn:aws:s3:::reports/team-${i}/*`)
    const error = await instance.issue(request(`a@${agentsDomain}`, ['s3:GetObject', ...resources]), signal()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UpstreamRefused)
    expect((error as Error).message).toMatch(/session policy for this request is \d+ characters and AWS allows 2048/)
    expect(world.sandbox.sessions()).toHaveLength(0)
  })

  it('says clearly when AWS finds the packed policy and tags too large', async () => {
    const { instance } = await connect(mode)
    const resources = Array.from({ length: 34 }, () => `resource:arn:aws:s3:::reports/${randomBytes(24).toString('base64url')}`)
    const error = await instance.issue(request(`a@${agentsDomain}`, ['s3:GetObject', ...resources]), signal()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UpstreamRefused)
    expect((error as Error).message).toMatch(/packed size limit: ask for fewer actions or resources/)
  })

  it('caps the session at the broker lifetime and refuses one shorter than AWS allows', async () => {
    const { instance } = await connect(mode)
    const issued = await instance.issue(request(`a@${agentsDomain}`, narrower, { maxTtlSeconds: 1200 }), signal())
    expect(issued.expiresAt.getTime() - world.clock.ms()).toBeLessThanOrEqual(1200_000)
    await expect(instance.issue(request(`a@${agentsDomain}`, narrower, { maxTtlSeconds: 600 }), signal())).rejects.toThrow(/at least 900 seconds/)
  })

  it('carries a handle AWS cannot take verbatim under a derived name', async () => {
    const { instance } = await connect(mode)
    const handle = `${'long-agent-name-'.repeat(4)}@${agentsDomain}`
    const issued = await instance.issue(request(handle), signal())
    const name = issued.index![whoisKeys.sourceIdentity]!
    expect(name).toMatch(/^[\w+=,.@-]{2,64}$/)
    expect(world.sandbox.session(issued.credential.extra.aws_credentials.access_key_id)?.sourceIdentity).toBe(name)
  })

  it('checks a binding: the role allows the duration, and the ceiling names actions and resources', async () => {
    const { instance } = await connect(mode)
    await expect(instance.validateBinding({ ...target(), maxDurationSeconds: 7200 }, ceiling, signal())).resolves.toBeDefined()
    await expect(instance.validateBinding({ ...target(), maxDurationSeconds: 10_800 }, ceiling, signal())).rejects.toThrow(/exceeds the MaxSessionDuration/)
    await expect(instance.validateBinding(target(), ['s3:GetObject'], signal())).rejects.toThrow(BindingInvalid)
    const wide = ['s3:GetObject', ...Array.from({ length: 80 }, (_, i) => `resource:arn:aws:s3:::reports/team-${i}/*`)]
    await expect(instance.validateBinding(target(), wide, signal())).rejects.toThrow(/AWS allows 2048/)
  })

  it('refuses a ceiling that allows role chaining unless the target allows it; a session issued anyway is refused', async () => {
    const { instance } = await connect(mode)
    const resource = 'resource:*'
    for (const item of ['sts:AssumeRole', 'sts:AssumeRole*', 'sts:*', 'sts:Assume*', 'sts:ASSUMEROLEWITHSAML']) {
      await expect(instance.validateBinding(target(), [item, resource], signal())).rejects.toMatchObject({
        code: 'ERR_BINDING_INVALID',
        message: expect.stringContaining(`"${item}" lets a session assume another role`),
      })
    }
    await expect(instance.validateBinding(target(), ['sts:GetCallerIdentity', 's3:GetObject', resource], signal())).resolves.toBeDefined()
    await expect(instance.validateBinding({ ...target(), allowRoleChaining: true }, ['sts:AssumeRole', resource], signal())).resolves.toBeDefined()
    // A binding recorded before the rule: refused at issue, before STS is asked.
    const before = world.sandbox.sessions().length
    await expect(instance.issue(request(`a@${agentsDomain}`, ['sts:*', resource]), signal())).rejects.toMatchObject({ code: 'ERR_BINDING_INVALID' })
    expect(world.sandbox.sessions()).toHaveLength(before)
  })
})

describe('assume-role from an instance or task role (role chaining)', () => {
  afterEach(() => vi.unstubAllEnvs())

  it('a session over one hour is refused with a message naming the real cause, not MaxSessionDuration', async () => {
    // What an EC2 instance profile hands the SDK's default chain: a role session's three values.
    const instanceRole = world.sandbox.createRole({ name: 'broker-instance' })
    const target = world.sandbox.createRole({ name: 'agents-long', maxSessionDurationSeconds: 7200 })
    const sts = new STSClient({ endpoint: world.sandbox.url, region: world.sandbox.region, credentials: world.sandbox.addAccessKey(), maxAttempts: 1 })
    const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: instanceRole.arn, RoleSessionName: 'i-0abc' }))
    sts.destroy()
    vi.stubEnv('AWS_ACCESS_KEY_ID', c!.AccessKeyId!)
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', c!.SecretAccessKey!)
    vi.stubEnv('AWS_SESSION_TOKEN', c!.SessionToken!)
    const { instance } = await connect('assume-role', { credentials: undefined, externalId: undefined })
    await expect(instance.validateBinding({ roleArn: target.arn, maxDurationSeconds: 7200, allowRoleChaining: false }, ceiling, signal())).rejects.toMatchObject({
      code: 'ERR_UPSTREAM_REFUSED',
      message: expect.stringMatching(/credentials are a role session .* caps a role assumed with them at 3600 s .* set maxDurationSeconds to 3600 or less/),
    })
    await expect(instance.validateBinding({ roleArn: target.arn, maxDurationSeconds: 3600, allowRoleChaining: false }, ceiling, signal())).resolves.toBeDefined()
  })

  it('with an IAM user\'s keys the same duration is the role\'s MaxSessionDuration, as before', async () => {
    const { instance } = await connect('assume-role')
    await expect(instance.validateBinding({ ...target(), maxDurationSeconds: 10_800 }, ceiling, signal())).rejects.toThrow(/exceeds the MaxSessionDuration/)
  })
})

describe('health: quiet on a healthy system', () => {
  it('web identity makes no failing STS call (no InvalidIdentityToken in CloudTrail); a revocation role is assumed, successfully', async () => {
    const quiet = await connect('web-identity', { revocation: { enabled: true } })
    const before = world.sandbox.calls('AssumeRoleWithWebIdentity')
    expect(await quiet.instance.health(signal())).toEqual({ ok: true, detail: 'STS answers; revocation is off (no revocation.roleArn)' })
    expect(world.sandbox.calls('AssumeRoleWithWebIdentity')).toBe(before)
    const { instance } = await connect('web-identity')
    expect(await instance.health(signal())).toEqual({ ok: true, detail: 'STS answers; the revocation role can be assumed' })
    expect(world.sandbox.calls('AssumeRoleWithWebIdentity')).toBe(before + 1)
    expect(world.sandbox.sessions().filter((s) => s.sessionName === 'lanyard-revoker')).toHaveLength(1)
  })

  it('STS unreachable: not ok', async () => {
    const { instance } = await connect('web-identity', { revocation: { enabled: true }, endpoint: undefined, endpoints: { sts: 'http://127.0.0.1:9' } })
    expect(await instance.health(signal())).toMatchObject({ ok: false })
  })
})

describe('endpoints: STS and IAM apart', () => {
  it('STS calls go to endpoints.sts and IAM calls to endpoints.iam', async () => {
    // IAM at a port where nothing listens: issuing works, revoking cannot reach IAM.
    const { instance } = await connect('assume-role', { endpoint: undefined, endpoints: { sts: world.sandbox.url, iam: 'http://127.0.0.1:9' } })
    const { req, issued } = await issueAndKeep(instance, `a@${agentsDomain}`)
    expect(issued.credential.extra.aws_credentials.access_key_id).toMatch(/^ASIA/)
    // Nothing answered at the IAM endpoint: unavailable (retryable), not a refusal.
    await expect(instance.revoke(revokeRequest(req, issued), signal())).rejects.toMatchObject({ code: 'ERR_UPSTREAM_UNAVAILABLE' })
    expect(world.sandbox.calls('PutRolePolicy') + world.sandbox.calls('GetRolePolicy')).toBe(0)
  })
})

describe('revocation while IAM has not applied the deny yet (eventual consistency)', () => {
  beforeEach(async () => {
    await world.close()
    world = await startAwsWorld({ iamPropagationMs: 5_000 })
  })

  it('revoking while the session still works; revoked once AWS refuses it', async () => {
    const { instance } = await connect('assume-role')
    const { req, issued } = await issueAndKeep(instance, `a@${agentsDomain}`)
    const puts = world.sandbox.calls('PutRolePolicy')
    const first = await instance.revoke(revokeRequest(req, issued), signal())
    expect(first).toMatchObject({ kind: 'revoking', checkAfterMs: 2_000, why: expect.stringContaining('IAM has not applied it yet') })
    expect(await world.works(issued.credential, [])).toBe(true)
    expect(await instance.probe!(revokeRequest(req, issued), signal())).toBe('alive')
    world.clock.advance(2_000)
    expect(await instance.revoke(revokeRequest(req, issued), signal())).toMatchObject({ kind: 'revoking' })
    world.clock.advance(3_000)
    expect(await instance.revoke(revokeRequest(req, issued), signal())).toEqual({ kind: 'revoked' })
    expect(await world.works(issued.credential, [])).toBe(false)
    expect(await instance.probe!(revokeRequest(req, issued), signal())).toBe('dead')
    // The deny was written once; the later calls only looked.
    expect(world.sandbox.calls('PutRolePolicy') - puts).toBe(1)
  })

  it('past revocation.confirmWithinSeconds: unrevocable until the session expires, never revoked', async () => {
    const { instance } = await connect('assume-role', { revocation: { confirmWithinSeconds: 3 } })
    const { req, issued } = await issueAndKeep(instance, `a@${agentsDomain}`)
    expect(await instance.revoke(revokeRequest(req, issued), signal())).toMatchObject({ kind: 'revoking', checkAfterMs: 2_000 })
    world.clock.advance(2_000)
    // The last look is due when the bound runs out, not a full poll later (real ms pass too).
    const second = await instance.revoke(revokeRequest(req, issued), signal())
    expect(second).toMatchObject({ kind: "revoking", checkAfterMs: expect.any(Number) })
    expect((second as { checkAfterMs: number }).checkAfterMs).toBeGreaterThan(0)
    expect((second as { checkAfterMs: number }).checkAfterMs).toBeLessThanOrEqual(1_000)
    world.clock.advance(1_000)
    expect(await instance.revoke(revokeRequest(req, issued), signal())).toEqual({ kind: 'unrevocable-until', until: issued.expiresAt })
  })

  it('without the session\'s credentials nothing can show the deny in effect: unrevocable, not revoked', async () => {
    const { instance } = await connect('assume-role')
    const { req, issued } = await issueAndKeep(instance, `a@${agentsDomain}`)
    const { secret: _dropped, ...withoutSecret } = revokeRequest(req, issued)
    world.clock.advance(6_000)
    expect(await instance.revoke(withoutSecret, signal())).toEqual({ kind: 'unrevocable-until', until: issued.expiresAt })
  })
})

describe('revocation', () => {
  it('is unrevocable-until expiry, never revoked, in web identity without a revocation role', async () => {
    const { instance } = await connect('web-identity', { revocation: { enabled: true } })
    const { req, issued } = await issueAndKeep(instance, `a@${agentsDomain}`)
    await expect(instance.revoke(revokeRequest(req, issued), signal())).resolves.toEqual({ kind: 'unrevocable-until', until: issued.expiresAt })
    expect(await world.works(issued.credential, [])).toBe(true)
  })

  it('is unrevocable-until expiry when IAM refuses the broker', async () => {
    await world.close()
    world = await startAwsWorld({ brokerMayWriteIam: false })
    const { instance, host } = await connect('assume-role')
    const { req, issued } = await issueAndKeep(instance, `a@${agentsDomain}`)
    await expect(instance.revoke(revokeRequest(req, issued), signal())).resolves.toEqual({ kind: 'unrevocable-until', until: issued.expiresAt })
    expect(host.logs.some((record) => record.level === 'warn' && /IAM refused iam:GetRolePolicy/.test(record.message ?? ''))).toBe(true)
  })

  it('loses no deny when replicas revoke sessions of one role at once: they take turns through the deployment mutex', async () => {
    // Three replicas of one deployment: three instances, one shared mutex (Redis's, in
    // production). With a mutex each, the same run loses denies: a revoked session still works.
    const mutex = createLocalMutex()
    const replicas = await Promise.all([0, 1, 2].map(() => connect('assume-role', {}, mutex)))
    const grants = await Promise.all(range(30).map((i) => issueAndKeep(replicas[i % 3]!.instance, `racer-${i}@${agentsDomain}`)))
    const writesBefore = world.sandbox.calls('PutRolePolicy')
    const outcomes = await Promise.all(grants.map((grant, i) => replicas[i % 3]!.instance.revoke(revokeRequest(grant.req, grant.issued), signal())))
    expect(outcomes).toEqual(grants.map(() => ({ kind: 'revoked' })))
    for (const grant of grants) expect(await world.works(grant.issued.credential, [])).toBe(false)
    // A replica's revokes of one role that arrive together share one write: one per replica, not one per session.
    expect(world.sandbox.calls('PutRolePolicy') - writesBefore).toBe(3)
  })

  it('keeps the deny policy within what IAM leaves beside the role\'s other inline policies, denying every revoked session', async () => {
    const { instance } = await connect('assume-role')
    const iam = new IAMClient({ endpoint: world.sandbox.url, region: world.sandbox.region, credentials: world.brokerKey, maxAttempts: 1 })
    const other = JSON.stringify({
      Version: '2012-10-17',
      Statement: Array.from({ length: 45 }, (_, i) => ({ Sid: `Keep${i}`, Effect: 'Deny', Action: 'ec2:TerminateInstances', Resource: `arn:aws:ec2:*:*:instance/i-${i}` })),
    })
    await iam.send(new PutRolePolicyCommand({ RoleName: 'agents', PolicyName: 'admin-guardrails', PolicyDocument: other }))

    const revoked: Awaited<ReturnType<typeof issueAndKeep>>[] = []
    for (let i = 0; i < 40; i++) {
      const grant = await issueAndKeep(instance, `agent-number-${i}-with-a-longer-name@${agentsDomain}`)
      revoked.push(grant)
      world.clock.advance(1000)
      await expect(instance.revoke(revokeRequest(grant.req, grant.issued), signal())).resolves.toEqual({ kind: 'revoked' })
    }
    world.clock.advance(1000)
    const later = await issueAndKeep(instance, `agent-number-0-with-a-longer-name@${agentsDomain}`)
    const bystander = await issueAndKeep(instance, `bystander@${agentsDomain}`)

    const policies = world.sandbox.rolePolicies('agents')
    const total = Object.values(policies).reduce((sum, text) => sum + text.replace(/\s/g, '').length, 0)
    expect(total).toBeLessThanOrEqual(ROLE_INLINE_POLICY_MAX_CHARS)
    expect(policies['lanyard-revocations']).toContain('aws:TokenIssueTime')
    for (const grant of revoked) expect(await world.works(grant.issued.credential, [])).toBe(false)
    expect(await world.works(later.issued.credential, [])).toBe(true)
    expect(await world.works(bystander.issued.credential, [])).toBe(true)
  })
})

describe('config', () => {
  it('defaults to web identity and names an unknown field', async () => {
    const ok = await awsConnector.config['~standard'].validate({ endpoint: 'http://127.0.0.1:9' })
    expect('value' in ok && ok.value).toMatchObject({ mode: 'web-identity', audience: 'sts.amazonaws.com', region: 'us-east-1' })
    const bad = await awsConnector.config['~standard'].validate({ mode: 'assume-role', roleArn: 'x' })
    expect('issues' in bad && JSON.stringify(bad.issues)).toMatch(/roleArn/)
  })

  it('refuses plain http outside a sandbox deployment', async () => {
    const result = await awsConnector.config['~standard'].validate({ endpoint: world.sandbox.url })
    if (!('value' in result)) throw new Error('config refused')
    expect(() => awsConnector.create(result.value, createTestHost({}))).toThrow(ConfigInvalid)
  })
})
