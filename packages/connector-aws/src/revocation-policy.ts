/**
 * The revocation deny policy: one inline policy on each bound role that denies everything to
 * revoked sessions. STS sessions cannot be revoked one by one; what a role's policies deny, no
 * session of it can do. Two kinds of statement:
 *
 * - per source identity, its revoked grants: `aws:SourceIdentity` = the handle's name and
 *   `aws:PrincipalTag/lanyard:grant` in the list. Exactly those sessions, none other of the
 *   agent: revoking one grant leaves the agent's other grants working.
 * - per cutoff, source identities: `aws:SourceIdentity` in the list and `aws:TokenIssueTime`
 *   before the cutoff. Every session of those agents issued before it. This is what a grant
 *   statement collapses into when the policy outgrows IAM's size limit: it denies more (the
 *   agent's older sessions too), never less.
 *
 * The document is the only state: it is read, merged, pruned and written back whole.
 */

export interface RevokedGrant {
  readonly sourceIdentity: string
  /** When the grant's session expires; the entry is dropped after. */
  readonly untilMs: number
  /** When it was revoked: every session of the grant was issued before. */
  readonly revokedAtMs: number
}

export interface RevocationEntries {
  readonly grants: Map<string, RevokedGrant>
  /** Source identity -> cutoff (ms, a whole second): its sessions issued before are denied. */
  readonly identities: Map<string, number>
  /** Statements someone else added to the policy: kept as they are, never dropped. */
  readonly foreign: unknown[]
}

/**
 * A session lives at most 12 hours (AssumeRole and AssumeRoleWithWebIdentity allow 43,200 s):
 * a cutoff older than that matches no live session any more.
 */
export const maxSessionMs = 43_200 * 1000
const grantSid = /^LanyardRevokedGrantsUntil(\d+)At(\d+)$/
const identitySid = /^LanyardRevokedBefore(\d+)$/
const grantKey = 'aws:PrincipalTag/lanyard:grant'
const identityKey = 'aws:SourceIdentity'

export function emptyEntries(): RevocationEntries {
  return { grants: new Map(), identities: new Map(), foreign: [] }
}

/** Reads a policy this module wrote (and keeps whatever else it finds). */
export function parseRevocationPolicy(text: string | undefined): RevocationEntries {
  const entries = emptyEntries()
  if (text === undefined) return entries
  const document = JSON.parse(text) as { Statement?: unknown }
  const statements = Array.isArray(document.Statement) ? document.Statement : document.Statement === undefined ? [] : [document.Statement]
  for (const statement of statements) {
    const { Sid: sid, Condition: condition } = (statement ?? {}) as { Sid?: unknown; Condition?: { StringEquals?: Record<string, unknown> } }
    const values = (key: string) => [condition?.StringEquals?.[key] ?? []].flat().filter((v): v is string => typeof v === 'string')
    const grant = typeof sid === 'string' ? grantSid.exec(sid) : null
    const identity = typeof sid === 'string' ? identitySid.exec(sid) : null
    const [name] = values(identityKey)
    if (grant && name !== undefined) {
      for (const id of values(grantKey)) addGrant(entries, id, { sourceIdentity: name, untilMs: Number(grant[1]) * 1000, revokedAtMs: Number(grant[2]) * 1000 })
    } else if (identity) {
      for (const each of values(identityKey)) addIdentity(entries, each, Number(identity[1]) * 1000)
    } else {
      entries.foreign.push(statement)
    }
  }
  return entries
}

export function addGrant(entries: RevocationEntries, grantId: string, grant: RevokedGrant): void {
  const known = entries.grants.get(grantId)
  entries.grants.set(grantId, known ? { ...grant, untilMs: Math.max(known.untilMs, grant.untilMs), revokedAtMs: Math.max(known.revokedAtMs, grant.revokedAtMs) } : grant)
}

/** A later cutoff covers everything an earlier one did. */
export function addIdentity(entries: RevocationEntries, sourceIdentity: string, cutoffMs: number): void {
  entries.identities.set(sourceIdentity, Math.max(entries.identities.get(sourceIdentity) ?? 0, cutoffMs))
}

/** Drops entries no live session can match any more, and grants a cutoff already covers. */
export function prune(entries: RevocationEntries, nowMs: number): void {
  for (const [name, cutoff] of entries.identities) if (cutoff + maxSessionMs <= nowMs) entries.identities.delete(name)
  for (const [id, grant] of entries.grants) {
    if (grant.untilMs <= nowMs || (entries.identities.get(grant.sourceIdentity) ?? 0) > grant.revokedAtMs) entries.grants.delete(id)
  }
}

/** Whether the policy denies a session: as a revoked grant, or by source identity and issue second. */
export function denies(entries: RevocationEntries, session: { sourceIdentity: string; issuedAtMs: number; grantId: string }): boolean {
  const cutoff = entries.identities.get(session.sourceIdentity)
  return entries.grants.get(session.grantId)?.sourceIdentity === session.sourceIdentity || (cutoff !== undefined && session.issuedAtMs < cutoff)
}

export function renderRevocationPolicy(entries: RevocationEntries): string {
  const statements: unknown[] = [...entries.foreign]
  const byIdentity = new Map<string, [string, RevokedGrant][]>()
  for (const [id, grant] of entries.grants) byIdentity.set(grant.sourceIdentity, [...(byIdentity.get(grant.sourceIdentity) ?? []), [id, grant]])
  for (const [name, grants] of [...byIdentity].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const until = Math.max(...grants.map(([, g]) => g.untilMs))
    const revokedAt = Math.max(...grants.map(([, g]) => g.revokedAtMs))
    statements.push({
      Sid: `LanyardRevokedGrantsUntil${Math.ceil(until / 1000)}At${Math.ceil(revokedAt / 1000)}`,
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { StringEquals: { [identityKey]: name, [grantKey]: grants.map(([id]) => id).sort() } },
    })
  }
  const byCutoff = new Map<number, string[]>()
  for (const [name, cutoff] of entries.identities) byCutoff.set(cutoff, [...(byCutoff.get(cutoff) ?? []), name])
  for (const [cutoff, names] of [...byCutoff].sort((a, b) => a[0] - b[0])) {
    statements.push({
      Sid: `LanyardRevokedBefore${cutoff / 1000}`,
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { StringEquals: { [identityKey]: names.sort() }, DateLessThan: { 'aws:TokenIssueTime': isoSeconds(cutoff) } },
    })
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: statements })
}

/**
 * Renders within `budgetChars`, shrinking when it does not fit: (1) the source identity with
 * the most revoked grants trades them for a cutoff after the latest revocation (its sessions
 * issued before are denied); (2) then the two cutoffs closest together become the later one.
 * Each step denies more, never less. Undefined when one cutoff statement still does not fit.
 */
export function renderWithin(entries: RevocationEntries, budgetChars: number): string | undefined {
  for (;;) {
    const text = renderRevocationPolicy(entries)
    if (text.length <= budgetChars) return text
    if (!collapseLargestGrantGroup(entries) && !mergeClosestCutoffs(entries.identities)) return undefined
  }
}

function collapseLargestGrantGroup(entries: RevocationEntries): boolean {
  const counts = new Map<string, number>()
  for (const grant of entries.grants.values()) counts.set(grant.sourceIdentity, (counts.get(grant.sourceIdentity) ?? 0) + 1)
  const largest = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0]
  if (largest === undefined) return false
  let revokedAt = 0
  for (const [id, grant] of entries.grants) {
    if (grant.sourceIdentity !== largest) continue
    revokedAt = Math.max(revokedAt, grant.revokedAtMs)
    entries.grants.delete(id)
  }
  // Issue times are whole seconds: the next whole second after the revocation covers every session issued before it.
  addIdentity(entries, largest, Math.floor(revokedAt / 1000) * 1000 + 1000)
  return true
}

function mergeClosestCutoffs(identities: Map<string, number>): boolean {
  const times = [...new Set(identities.values())].sort((a, b) => a - b)
  if (times.length < 2) return false
  let at = 0
  for (let i = 1; i < times.length - 1; i++) if (times[i + 1]! - times[i]! < times[at + 1]! - times[at]!) at = i
  const [earlier, later] = [times[at]!, times[at + 1]!]
  for (const [name, time] of identities) if (time === earlier) identities.set(name, later)
  return true
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
