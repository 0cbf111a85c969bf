import { SecretValue } from '@lanyard/connector-sdk'
import type { BrokerSigner, Clock } from '@lanyard/connector-sdk'
import type { ConformanceSetup } from '@lanyard/connector-sdk/testing'
import { type AwsSandbox, AwsSandboxError, type OidcIssuer, startAwsSandbox, startOidcIssuer } from '@lanyard/sandbox'
import type { AwsCredential } from '../src/index.js'

export type Mode = 'web-identity' | 'assume-role'

export const agentsDomain = 'agents.lanyard.test'
export const ceiling = ['s3:GetObject', 's3:ListBucket', 'resource:arn:aws:s3:::reports', 'resource:arn:aws:s3:::reports/*']
export const narrower = ['s3:GetObject', 'resource:arn:aws:s3:::reports/*']
/** Resource items become one concrete ARN to ask the stand-in about. */
const sampleResource = 'arn:aws:s3:::reports/2026/q1.csv'

/** Everything a test of the AWS connector needs: a sandbox, the broker's issuer and a shared clock. */
export interface AwsWorld {
  readonly sandbox: AwsSandbox
  readonly issuer: OidcIssuer
  /** The broker's clock and the stand-in's: wall time plus what `advance` added. */
  readonly clock: Clock & { advance(ms: number): void; ms(): number }
  readonly signer: BrokerSigner
  readonly roleArn: string
  readonly revokerArn: string
  readonly brokerKey: { accessKeyId: string; secretAccessKey: string }
  config(mode: Mode, extra?: Record<string, unknown>): Record<string, unknown>
  works(credential: AwsCredential, scopes: readonly string[]): Promise<boolean>
  close(): Promise<void>
}

export async function startAwsWorld(options: { brokerMayWriteIam?: boolean; iamPropagationMs?: number } = {}): Promise<AwsWorld> {
  let offsetMs = 0
  const ms = () => Date.now() + offsetMs
  const clock = { now: () => new Date(ms()), ms, advance: (by: number) => void (offsetMs += by) }
  const sandbox = await startAwsSandbox({ now: ms, ...(options.iamPropagationMs === undefined ? {} : { iamPropagationMs: options.iamPropagationMs }) })
  // ES256: key generation is cheap; AWS accepts it as it does RS256.
  const issuer = await startOidcIssuer({ alg: 'ES256' })
  const provider = await sandbox.addOidcProvider({ url: issuer.url, audiences: ['sts.amazonaws.com'] })
  const host = issuer.url.replace(/^https?:\/\//, '')
  const externalId = 'lanyard-conformance'
  const federated = (subjects: string[]) => ({
    Effect: 'Allow',
    Principal: { Federated: provider.arn },
    Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession', 'sts:SetSourceIdentity'],
    Condition: { StringEquals: { [`${host}:aud`]: 'sts.amazonaws.com' }, StringLike: { [`${host}:sub`]: subjects } },
  })
  const role = sandbox.createRole({
    name: 'agents',
    maxSessionDurationSeconds: 7200,
    trustPolicy: {
      Version: '2012-10-17',
      Statement: [
        federated([`*@${agentsDomain}`, 'lanyard-binding-check']),
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${sandbox.accountId}:user/lanyard-broker` },
          Action: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
          Condition: { StringEquals: { 'sts:ExternalId': externalId } },
        },
      ],
    },
  })
  const revoker = sandbox.createRole({
    name: 'lanyard-revoker',
    trustPolicy: { Version: '2012-10-17', Statement: [federated(['lanyard-revoker'])] },
    permissions: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['iam:GetRolePolicy', 'iam:PutRolePolicy'], Resource: role.arn }],
    },
  })
  const brokerKey = sandbox.addAccessKey({ userName: 'lanyard-broker', iam: options.brokerMayWriteIam ?? true })
  const signer: BrokerSigner = {
    issuer: issuer.url,
    signIdToken: ({ sub, aud, ttlSeconds, extra }) => issuer.sign({ ...extra, sub, aud }, { now: ms(), expiresInSeconds: ttlSeconds }),
  }

  return {
    sandbox,
    issuer,
    clock,
    signer,
    roleArn: role.arn,
    revokerArn: revoker.arn,
    brokerKey,
    config(mode, extra = {}) {
      const common = { mode, endpoint: sandbox.url, region: sandbox.region }
      return mode === 'web-identity'
        ? { ...common, revocation: { roleArn: revoker.arn }, ...extra }
        : {
            ...common,
            externalId,
            credentials: { accessKeyId: brokerKey.accessKeyId, secretAccessKey: new SecretValue(brokerKey.secretAccessKey) },
            ...extra,
          }
    },
    /** Asks the stand-in, never the connector: every action item on every resource item allowed? */
    async works(credential, scopes) {
      const aws = credential.extra.aws_credentials
      const credentials = { accessKeyId: aws.access_key_id, secretAccessKey: aws.secret_access_key, sessionToken: aws.session_token }
      const actions = scopes.filter((s) => !s.startsWith('resource:'))
      const resources = scopes.filter((s) => s.startsWith('resource:')).map((s) => s.slice('resource:'.length).replace(/\*/g, 'x'))
      try {
        for (const action of actions.length > 0 ? actions : ['s3:GetObject']) {
          for (const resource of resources.length > 0 ? resources : [sampleResource]) {
            if (sandbox.checkAccess({ credentials, action, resource }) !== 'allowed') return false
          }
        }
        return true
      } catch (error) {
        if (error instanceof AwsSandboxError) return false
        throw error
      }
    },
    async close() {
      await sandbox.close()
      await issuer.close()
    },
  }
}

/** The conformance kit's setup for one mode. */
export async function conformanceSetup(mode: Mode): Promise<ConformanceSetup<AwsCredential>> {
  const world = await startAwsWorld()
  const bogusConfig =
    mode === 'web-identity'
      ? world.config(mode, { audience: 'not-a-client-id' })
      : world.config(mode, { credentials: { accessKeyId: world.brokerKey.accessKeyId, secretAccessKey: new SecretValue('x'.repeat(40)) } })
  return {
    config: world.config(mode),
    target: { roleArn: world.roleArn, maxDurationSeconds: 3600 },
    ceiling,
    requests: {
      narrower,
      wider: ['s3:DeleteObject', 's3:*', 'resource:arn:aws:s3:::secrets/*'],
      unknown: ['contents:read', 's3:getobject', 'resource:bucket'],
    },
    bogus: { target: { roleArn: `arn:aws:iam::${world.sandbox.accountId}:role/missing` }, config: bogusConfig },
    host: { clock: world.clock, signer: world.signer, allowInsecureUpstreamHttp: true, system: `aws-${mode}` },
    upstream: {
      works: (credential, scopes) => world.works(credential, scopes),
      // Sessions last at most 12 hours: 13 hours on, everything issued has expired.
      expire: async () => world.clock.advance(13 * 3600 * 1000),
    },
    publicParts: (credential) => [credential.extra.aws_credentials.access_key_id],
    teardown: () => world.close(),
  }
}
