/**
 * @module @lanyard/connector-aws
 *
 * The AWS connector: mints STS sessions for agents, narrowed by an inline session policy to the
 * actions and resources asked for, carrying the agent as SourceIdentity, RoleSessionName and
 * session tags; revokes them with a deny on the role (IAM PutRolePolicy). Two modes: web
 * identity (the broker is the OIDC provider; AssumeRoleWithWebIdentity; no AWS secret held)
 * and assume-role (the broker's own credentials; AssumeRole). Imported by the broker
 * (apps/broker) and by tests; depends on @lanyard/connector-sdk (peer) and the AWS SDK's STS
 * and IAM clients only. Config, scope syntax, IAM set-up: README.md.
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts'
import { defineConnector, sdkVersion } from '@lanyard/connector-sdk'
import type { Health } from '@lanyard/connector-sdk'
import { type AwsClient, createClient, translate } from './client.js'
import { awsConfig, endpointsOf } from './config.js'
import { issue } from './issue.js'
import { probe } from './probe.js'
import { createPolicyWriter } from './revoke.js'
import { awsScopes, narrowAwsScopes } from './scopes.js'
import { awsTarget, validateBinding } from './target.js'
import { whoisKeys } from './whois.js'

export type { AwsConfig } from './config.js'
export type { AwsCredential, AwsCredentialsMember, AwsRef } from './issue.js'
export type { AwsTarget } from './target.js'
export { awsCredentialsTokenType } from './issue.js'
export { awsName, whoisKeys } from './whois.js'

/** `type: aws` in lanyard.yaml. */
export const awsConnector = defineConnector({
  type: 'aws',
  sdk: `^${sdkVersion}`,
  config: awsConfig,
  target: awsTarget,
  scopes: awsScopes,
  revocationMechanism: 'IAM inline deny policy on the role for the revoked sessions (aws:SourceIdentity + lanyard:grant); unrevocable until expiry where IAM cannot be written',
  whoisKeys: Object.values(whoisKeys),
  create(config, host) {
    const client = createClient(config, host)
    const policy = createPolicyWriter(client)
    return {
      narrow: narrowAwsScopes,
      validateBinding: (target, ceiling, signal) => validateBinding(client, target, ceiling, signal),
      issue: (request, signal) => issue(client, request, signal),
      revoke: (request, signal) => policy.revoke(request, signal),
      probe: (request, signal) => probe(client, request, signal),
      health: (signal) => health(client, signal),
      close: async () => client.close(),
    }
  },
})

export default awsConnector

/**
 * Health without a failing upstream call on a healthy system (CloudTrail would log one per
 * probe). (1) assume-role: GetCallerIdentity with the broker's credentials, which always
 * succeeds for valid credentials. (2) web identity: the STS endpoint answers HTTP at all (a
 * plain GET names no API action, so no call is recorded); with a revocation role, its
 * credentials are obtained (cached, renewed 5 minutes before expiry), which proves AWS trusts
 * the broker's issuer with a call that succeeds.
 */
async function health(client: AwsClient, signal: AbortSignal): Promise<Health> {
  try {
    if (client.config.mode === 'assume-role') {
      const caller = await client.sts.send(new GetCallerIdentityCommand({}), { abortSignal: signal })
      return { ok: true, detail: `STS answers; the broker is ${caller.Arn ?? 'unknown'}` }
    }
    const url = await stsUrl(client)
    const answer = await client.host.fetch(url, { method: 'GET', redirect: 'manual', signal })
    await answer.body?.cancel()
    if (answer.status >= 500) return { ok: false, detail: `STS at ${new URL(url).host} answered HTTP ${answer.status}` }
    if (client.iam === undefined) return { ok: true, detail: 'STS answers; revocation is off (no revocation.roleArn)' }
    await client.iam.config.credentials()
    return { ok: true, detail: 'STS answers; the revocation role can be assumed' }
  } catch (error) {
    return { ok: false, detail: translate(client, error, 'health check').message }
  }
}

/** The STS endpoint the client calls: the configured one, or the SDK's for the region and partition. */
async function stsUrl(client: AwsClient): Promise<string> {
  const configured = endpointsOf(client.config).sts
  if (configured !== undefined) return configured
  const { url } = client.sts.config.endpointProvider({ Region: client.config.region, UseFIPS: false, UseDualStack: false, UseGlobalEndpoint: false })
  return url.toString()
}
