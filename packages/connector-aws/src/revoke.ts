import { GetRolePolicyCommand, type IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam'
import type { RevokeOutcome, RevokeRequest, UpstreamRef } from '@lanyard/connector-sdk'
import { type AwsClient, awsCode, translate } from './client.js'
import type { AwsRef } from './issue.js'
import { addGrant, parseRevocationPolicy, prune, renderWithin } from './revocation-policy.js'
import { sessionDenied } from './probe.js'
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

/** One session waiting to be denied on its role. */
interface Denial {
  readonly request: RevokeRequest
  readonly ref: AwsRef
  readonly signal: AbortSignal
  readonly settle: (outcome: RevokeOutcome | Promise<never>) => void
}

/** How a round's write ended, for every session it carried. */
type RoundResult = { readonly kind: 'written' } | { readonly kind: 'unrevocable'; readonly why: string }

/**
 * Denies revoked sessions on their roles, coalescing: revokes of one role that arrive while a
 * write of its policy is under way wait for the next round, which carries them all. A round is
 * one read-merge-write of the policy under the deployment mutex (host.mutex), so a cascade over
 * many sessions of one role costs a few IAM calls and a few holds, not one of each per session
 * (IAM also throttles writes).
 */
export interface PolicyWriter {
  revoke(request: RevokeRequest, signal: AbortSignal): Promise<RevokeOutcome>
}

export function createPolicyWriter(client: AwsClient): PolicyWriter {
  const { system, host } = client
  const { policyName } = client.config.revocation
  const waiting = new Map<string, Denial[]>()

  const unrevocable = (request: RevokeRequest, why: string): RevokeOutcome => {
    host.log.warn({ system, grant_id: request.grantId, until: request.expiresAt.toISOString() }, `AWS session not revoked: ${why}`)
    return { kind: 'unrevocable-until', until: request.expiresAt }
  }

  /** Rounds for one role until no session waits; the last caller's signal bounds each round. */
  async function drain(iam: IAMClient, roleArn: string): Promise<void> {
    for (let batch = waiting.get(roleArn); batch !== undefined && batch.length > 0; batch = waiting.get(roleArn)) {
      waiting.set(roleArn, [])
      const live = batch.filter((denial) => {
        if (denial.signal.aborted) denial.settle(Promise.reject(denial.signal.reason))
        return !denial.signal.aborted
      })
      if (live.length === 0) continue
      try {
        const result = await host.mutex.hold(`aws:role-policy:${roleArn}:${policyName}`, policyHold, () => writeRound(iam, roleArn, live, live.at(-1)!.signal))
        for (const { request, ref, settle } of live) {
          if (result.kind === 'unrevocable') settle(unrevocable(request, result.why))
          else {
            host.log.info({ system, grant_id: request.grantId, role_arn: roleArn, access_key_id: ref.accessKeyId }, 'AWS session denied on its role')
            settle({ kind: 'revoked' })
          }
        }
      } catch (error) {
        for (const { settle } of live) settle(Promise.reject(error))
      }
    }
    waiting.delete(roleArn)
  }

  /**
   * Reads the role's policy, prunes entries no live session can match, adds every session of
   * `denials` (source identity and grant id), fits it to the role's remaining size and writes it
   * back. A deleted role: written (its sessions have no permissions left).
   */
  async function writeRound(iam: IAMClient, roleArn: string, denials: readonly Denial[], signal: AbortSignal): Promise<RoundResult> {
    const role = roleName(roleArn)
    const now = host.clock.now().getTime()
    let budget = roleInlinePolicyMaxChars
    for (let attempt = 0; attempt < maxWriteAttempts; attempt++) {
      let current: string | undefined
      try {
        current = await readPolicy(iam, role, policyName, signal)
      } catch (error) {
        // Writing without reading would drop the denies already there.
        if (awsCode(error) === 'AccessDenied') return { kind: 'unrevocable', why: `IAM refused iam:GetRolePolicy on ${roleArn}` }
        throw translate(client, error, 'GetRolePolicy')
      }
      const entries = parseRevocationPolicy(current)
      prune(entries, now)
      for (const { request, ref } of denials) addGrant(entries, request.grantId, { sourceIdentity: ref.sourceIdentity, untilMs: request.expiresAt.getTime(), revokedAtMs: now })
      const text = renderWithin(entries, budget)
      if (text === undefined) return { kind: 'unrevocable', why: `the revocation policy of ${roleArn} cannot hold more entries within IAM's size limit` }
      try {
        await iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: policyName, PolicyDocument: text }), { abortSignal: signal })
        return { kind: 'written' }
      } catch (error) {
        switch (awsCode(error)) {
          case 'LimitExceeded':
            budget = Math.floor(Math.min(budget, text.length) * shrinkFactor)
            continue
          case 'AccessDenied':
            return { kind: 'unrevocable', why: `IAM refused iam:PutRolePolicy on ${roleArn}` }
          // A deleted role's sessions have no permissions left (a role of the same name made later is another role).
          case 'NoSuchEntity':
            return { kind: 'written' }
          default:
            throw translate(client, error, 'PutRolePolicy')
        }
      }
    }
    return { kind: 'unrevocable', why: `the revocation policy of ${roleArn} does not fit beside the role's other inline policies` }
  }

  /** Grant id -> when this process wrote its deny; cleared once the outcome is final. */
  const written = new Map<string, number>()
  const confirmWithinMs = client.config.revocation.confirmWithinSeconds * 1000

  /**
   * After the deny is written: `revoked` once the session's own call is refused by it;
   * `revoking` (ask again shortly) while IAM has not applied it, for up to
   * `confirmWithinSeconds` after the write; past that, `unrevocable-until` its expiry.
   */
  async function confirm(request: RevokeRequest, writtenAtMs: number, signal: AbortSignal): Promise<RevokeOutcome> {
    // A check that fails is a check that did not see the deny: asked again within the same
    // bound, rather than thrown, so the cascade's attempt budget (which these polls also
    // count against) cannot end the task `failed` while the deny is in place.
    let seen: Awaited<ReturnType<typeof sessionDenied>>
    let trouble = ''
    try {
      seen = await sessionDenied(client, request, signal)
    } catch (error) {
      signal.throwIfAborted()
      seen = 'alive'
      trouble = `; the last check failed (${error instanceof Error ? error.message : 'error'})`
    }
    const waitedMs = host.clock.now().getTime() - writtenAtMs
    if (seen === 'dead') {
      written.delete(request.grantId)
      host.log.info({ system, grant_id: request.grantId, waited_ms: waitedMs }, 'AWS session refused by its deny')
      return { kind: 'revoked' }
    }
    if (seen === undefined) {
      written.delete(request.grantId)
      return unrevocable(request, 'the deny is written but the session\'s credentials were not kept, so nothing can show it in effect')
    }
    if (waitedMs >= confirmWithinMs) {
      written.delete(request.grantId)
      return unrevocable(request, `IAM did not apply the deny within ${client.config.revocation.confirmWithinSeconds} s (revocation.confirmWithinSeconds)`)
    }
    return {
      kind: 'revoking',
      checkAfterMs: Math.min(confirmPollMs, confirmWithinMs - waitedMs),
      why: `the deny is written; IAM has not applied it yet (${Math.round(waitedMs / 1000)} s of ${client.config.revocation.confirmWithinSeconds} s)${trouble}`,
    }
  }

  return {
    /**
     * Revokes one session by denying it on its role. (1) Expired already: `expired`, nothing to
     * write. (2) This system cannot write IAM, or IAM refuses the broker: `unrevocable-until`
     * the session's expiry, never `revoked`. (3) Otherwise its deny is written in the role's
     * next round, then confirmed (`confirm`): `revoked` only once AWS refuses the session.
     * Idempotent: writing the same entry again changes nothing; a call for a grant whose deny
     * this process already wrote only checks again.
     */
    async revoke(request, signal) {
      signal.throwIfAborted()
      if (request.expiresAt.getTime() <= host.clock.now().getTime()) return { kind: 'expired' }
      const ref = readRef(request.ref)
      if (ref === undefined) return unrevocable(request, 'the grant ref names no AWS session')
      const { iam } = client
      if (iam === undefined) return unrevocable(request, 'this system cannot write IAM (revocation is off, or web identity has no revocation.roleArn)')
      const before = written.get(request.grantId)
      if (before !== undefined) return confirm(request, before, signal)
      const outcome = await new Promise<RevokeOutcome>((settle) => {
        const queue = waiting.get(ref.roleArn)
        if (queue !== undefined) return void queue.push({ request, ref, signal, settle })
        waiting.set(ref.roleArn, [{ request, ref, signal, settle }])
        // A turn later: the rest of a burst (a cascade's pool) joins this first round.
        setImmediate(() => void drain(iam, ref.roleArn))
      })
      if (outcome.kind !== 'revoked') return outcome
      const writtenAtMs = host.clock.now().getTime()
      written.set(request.grantId, writtenAtMs)
      return confirm(request, writtenAtMs, signal)
    },
  }
}

/** How often a `revoking` grant is checked again while IAM applies its deny. */
const confirmPollMs = 2_000
