import { BindingInvalid, ScopeUnknown } from '@lanyard/connector-sdk'
import type { ScopeSet } from '@lanyard/connector-sdk'
import { z } from 'zod'
import type { AwsClient } from './client.js'
import { roleArn } from './config.js'
import { agentTag, assume, grantTag, trustRefusal } from './issue.js'
import { awsScopes, denyAllPolicy, roleChainingItem, sessionPolicy, sessionPolicyMaxChars, splitScopes } from './scopes.js'

/**
 * What a binding points at: one IAM role, and how long its sessions may last (900 s, AWS's
 * minimum, up to 43,200 s; never more than the role's own MaxSessionDuration, which the
 * binding check proves). Actions and resources are the binding's ceiling, not its target.
 */
export const awsTarget = z
  .object({
    roleArn,
    maxDurationSeconds: z.number().int().min(900).max(43_200).default(3600),
    /**
     * Let the ceiling name actions that assume another role (`sts:AssumeRole*`, `sts:*`). Off
     * by default: a chained session is another role's session, the revocation deny on this
     * role does not reach it, and it dies only at its expiry.
     */
    allowRoleChaining: z.boolean().default(false),
  })
  .strict()

export type AwsTarget = z.output<typeof awsTarget>

/** The role's name: the ARN's last path segment, as IAM's role-policy calls take it. */
export function roleName(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1)
}

/**
 * Refuses a ceiling that would let a session assume another role (role chaining) unless the
 * target allows it, naming the first item that would.
 */
export function checkRoleChaining(target: Pick<AwsTarget, 'allowRoleChaining'>, scopes: ScopeSet): void {
  const item = target.allowRoleChaining ? undefined : roleChainingItem(scopes)
  if (item !== undefined) {
    throw new BindingInvalid(
      `the ceiling item "${item}" lets a session assume another role, which a revocation cannot reach (chained sessions die only at expiry): remove it, or set allowRoleChaining: true in the target`,
    )
  }
}

/** Names the binding check puts on its session, so CloudTrail shows what it was. */
const bindingCheckName = 'lanyard-binding-check'

/**
 * At bind time: (1) every ceiling item is an AWS scope item (ScopeUnknown names the first that
 * is not); (2) the ceiling names at least one action and one resource, and no role-chaining
 * action unless the target allows it; (3) its session policy
 * fits AWS's 2,048 characters, so a request for the whole ceiling can be issued; (4) unless
 * `bindingCheck` is off, the role is assumed once with a session policy that denies everything,
 * for `maxDurationSeconds`, with source identity and tags: that proves the role exists, trusts
 * the broker for everything `issue` will ask, and allows the duration. The session it yields
 * can do nothing and is dropped.
 */
export async function validateBinding(client: AwsClient, target: AwsTarget, ceiling: ScopeSet, signal: AbortSignal): Promise<AwsTarget> {
  signal.throwIfAborted()
  for (const item of ceiling) if (!awsScopes.isKnown(item)) throw new ScopeUnknown(item)
  const { actions, resources } = splitScopes(ceiling)
  if (actions.length === 0) throw new BindingInvalid('the ceiling names no action (e.g. s3:GetObject)')
  if (resources.length === 0) throw new BindingInvalid('the ceiling names no resource (resource:<arn>, or resource:*)')
  checkRoleChaining(target, ceiling)
  const policy = sessionPolicy(ceiling)
  if (policy.length > sessionPolicyMaxChars) {
    throw new BindingInvalid(`the ceiling's session policy would be ${policy.length} characters and AWS allows ${sessionPolicyMaxChars}: use fewer or wildcard items`)
  }
  if (!client.config.bindingCheck) return target

  const subject = client.config.mode === 'web-identity' ? client.config.bindingCheckSubject : bindingCheckName
  // (1) The role is missing or does not trust the broker. (2) The role's MaxSessionDuration is shorter.
  const check = await assume(
    client,
    {
      roleArn: target.roleArn,
      sessionName: bindingCheckName,
      subject,
      sourceIdentity: bindingCheckName,
      tags: { [agentTag]: bindingCheckName, [grantTag]: 'binding-check' },
      durationSeconds: target.maxDurationSeconds,
      policy: denyAllPolicy,
    },
    signal,
    (code) =>
      code === 'AccessDenied'
        ? new BindingInvalid(trustRefusal(client, target.roleArn, subject))
        : code === 'ValidationError'
          ? new BindingInvalid(`maxDurationSeconds ${target.maxDurationSeconds} exceeds the MaxSessionDuration of ${target.roleArn}`)
          : undefined,
  )
  client.host.log.info({ system: client.system, role_arn: target.roleArn, access_key_id: check.AccessKeyId }, 'binding check: assumed the role with a deny-all session policy')
  return target
}
