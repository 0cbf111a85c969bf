import { createHash } from 'node:crypto'

/**
 * Attribution: what CloudTrail shows for a session (its access key id, its role session name,
 * its source identity) leads back to the agent through these whois keys.
 */
export const whoisKeys = {
  accessKeyId: 'aws_access_key_id',
  sessionName: 'aws_session_name',
  sourceIdentity: 'aws_source_identity',
} as const

/** RoleSessionName and SourceIdentity: 2..64 characters of [\w+=,.@-]. */
const awsNamePattern = /^[\w+=,.@-]{2,64}$/

/**
 * The handle as AWS can carry it in RoleSessionName and SourceIdentity. A handle within AWS's
 * rules is used as is, so CloudTrail shows it verbatim. Otherwise each character outside
 * [\w+=,.@-] becomes `-`, the first 55 characters are kept, and `-` plus 8 hex characters of
 * the handle's SHA-256 follow, so distinct handles stay distinct; whois maps it back.
 */
export function awsName(handle: string): string {
  if (awsNamePattern.test(handle)) return handle
  const safe = handle.replace(/[^\w+=,.@-]/g, '-')
  const digest = createHash('sha256').update(handle, 'utf8').digest('hex').slice(0, 8)
  return `${safe.slice(0, 55)}-${digest}`
}

/** The grant's attribution index: identifiers only, never a secret. */
export function whoisIndex(session: { accessKeyId: string; sessionName: string; sourceIdentity: string }): Record<string, string> {
  return {
    [whoisKeys.accessKeyId]: session.accessKeyId,
    [whoisKeys.sessionName]: session.sessionName,
    [whoisKeys.sourceIdentity]: session.sourceIdentity,
  }
}
