import { GetRolePolicyCommand, type IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam'
import type { RevokeOutcome, RevokeRequest, UpstreamRef } from '@lanyard/connector-sdk'
import { type AwsClient, awsCode, translate } from './client.js'
import type { AwsRef } from './issue.js'
import { addGrant, parseRevocationPolicy, prune, renderWithin } from './revocation-policy.js'
import { roleName } from './target.js'

/**
 * IAM caps the inline policies of a role at 10,240 characters together (white space not
 * counted). The revocation policy starts with all of it and shrinks when IAM says the role's
 * other inline policies leave less (LimitExceeded).
 */
const roleInlinePolicyMaxChars = 10_240
const shrinkFactor = 0.75
const maxWriteAttempts = 4

/**
 * One writer per role policy across every replica (host.mutex): IAM has no conditional write,
 * so two read-merge-writes at once would keep only the last one's entry. The lease outlasts
 * what a revoke may take (its signal ends it, 10 s by default); a dead holder's lapses.
 */
const policyHold = { leaseMs: 120_000, waitMs: 30_000 }

/** The stored ref, checked: refs come back from the store, written by an older version perhaps. */
export function readRef(ref: UpstreamRef): AwsRef | undefined {
  const fields = ['roleArn', 'accessKeyId', 'sessionName', 'sourceIdentity', 'assumedRoleArn', 'sessionIssuedAt'] as const
  return fields.every((field) => typeof ref[field] === 'string') ? (ref as unknown as AwsRef) : undefined
}

/** The revocation policy's text, or undefined when the role has none yet. IAM returns it URL-encoded. */
export async function readPolicy(iam: IAMClient, role: string, policyName: string, signal: AbortSignal): Promise<string | undefined> {
  try {
    const { PolicyDocument: document } = await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: policyName }), { abortSignal: signal })
    return document === undefined ? undefined : decodeURIComponent(document)
  } catch (error) {
    if (awsCode(error) === 'NoSuchEntity') return undefined
    throw error
  }
}

/**
 * Revokes one session by denying it on its role. (1) Expired already: `expired`, nothing to
 * write. (2) This system cannot write IAM, or IAM refuses the broker: `unrevocable-until` the
 * session's expiry, never `revoked`. (3) Otherwise the policy is read, pruned of entries no live
 * session can match, given this grant (its source identity and grant id), fitted to the role's
 * remaining size and written back: `revoked`. Idempotent: writing the same entry again changes
 * nothing.
 */
export async function revoke(client: AwsClient, request: RevokeRequest, signal: AbortSignal): Promise<RevokeOutcome> {
  signal.throwIfAborted()
  const { system, host, iam } = client
  const now = host.clock.now().getTime()
  if (request.expiresAt.getTime() <= now) return { kind: 'expired' }
  const unrevocable = (why: string): RevokeOutcome => {
    host.log.warn({ system, grant_id: request.grantId, until: request.expiresAt.toISOString() }, `AWS session not revoked: ${why}`)
    return { kind: 'unrevocable-until', until: request.expiresAt }
  }
  const ref = readRef(request.ref)
  if (ref === undefined) return unrevocable('the grant ref names no AWS session')
  if (iam === undefined) return unrevocable('this system cannot write IAM (revocation is off, or web identity has no revocation.roleArn)')
  const role = roleName(ref.roleArn)
  const { policyName } = client.config.revocation

  return host.mutex.hold(`aws:role-policy:${ref.roleArn}:${policyName}`, policyHold, async () => {
    let budget = roleInlinePolicyMaxChars
    for (let attempt = 0; attempt < maxWriteAttempts; attempt++) {
      let current: string | undefined
      try {
        current = await readPolicy(iam, role, policyName, signal)
      } catch (error) {
        // Writing without reading would drop the denies already there.
        if (awsCode(error) === 'AccessDenied') return unrevocable(`IAM refused iam:GetRolePolicy on ${ref.roleArn}`)
        throw translate(client, error, 'GetRolePolicy')
      }
      const entries = parseRevocationPolicy(current)
      prune(entries, now)
      addGrant(entries, request.grantId, { sourceIdentity: ref.sourceIdentity, untilMs: request.expiresAt.getTime(), revokedAtMs: now })
      const text = renderWithin(entries, budget)
      if (text === undefined) return unrevocable(`the revocation policy of ${ref.roleArn} cannot hold more entries within IAM's size limit`)
      try {
        await iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: policyName, PolicyDocument: text }), { abortSignal: signal })
        host.log.info({ system, grant_id: request.grantId, role_arn: ref.roleArn, access_key_id: ref.accessKeyId }, 'AWS session denied on its role')
        return { kind: 'revoked' }
      } catch (error) {
        switch (awsCode(error)) {
          case 'LimitExceeded':
            budget = Math.floor(Math.min(budget, text.length) * shrinkFactor)
            continue
          case 'AccessDenied':
            return unrevocable(`IAM refused iam:PutRolePolicy on ${ref.roleArn}`)
          // A deleted role's sessions have no permissions left (a role of the same name made later is another role).
          case 'NoSuchEntity':
            return { kind: 'revoked' }
          default:
            throw translate(client, error, 'PutRolePolicy')
        }
      }
    }
    return unrevocable(`the revocation policy of ${ref.roleArn} does not fit beside the role's other inline policies`)
  })
}
