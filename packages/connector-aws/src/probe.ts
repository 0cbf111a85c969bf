import type { RevokeRequest } from '@lanyard/connector-sdk'
import type { AwsClient } from './client.js'
import { parseRevocationPolicy, denies } from './revocation-policy.js'
import { readPolicy, readRef } from './revoke.js'
import { roleName } from './target.js'

/**
 * Is the session still usable? (1) Past its expiry: dead. (2) The role's revocation policy
 * denies it (by grant tag, or by source identity and issue time): dead. (3) Otherwise alive.
 * Unknown when the policy cannot be read (no IAM access) or the ref names no session.
 */
export async function probe(client: AwsClient, request: RevokeRequest, signal: AbortSignal): Promise<'dead' | 'alive' | 'unknown'> {
  signal.throwIfAborted()
  if (request.expiresAt.getTime() <= client.host.clock.now().getTime()) return 'dead'
  const ref = readRef(request.ref)
  if (ref === undefined || client.iam === undefined) return 'unknown'
  let text: string | undefined
  try {
    text = await readPolicy(client.iam, roleName(ref.roleArn), client.config.revocation.policyName, signal)
  } catch {
    signal.throwIfAborted()
    return 'unknown'
  }
  const session = { sourceIdentity: ref.sourceIdentity, issuedAtMs: Date.parse(ref.sessionIssuedAt), grantId: request.grantId }
  return denies(parseRevocationPolicy(text), session) ? 'dead' : 'alive'
}
