/**
 * The revocation deny policy: one inline policy on each bound role that denies everything to
 * revoked sessions. STS sessions cannot be revoked one by one; what a role's policies deny, no
 * session of it can do. Two kinds of entry:
 *
 * - a source identity and a cutoff: its sessions issued in an earlier second are denied
 *   (`aws:SourceIdentity` StringEquals, `aws:TokenIssueTime` DateLessThan). AWS reports issue
 *   times in whole seconds, so a cutoff is a whole second too, and a session issued in the
 *   revocation's own second is not matched: a new grant issued right after a revoke works.
 * - a grant id: that grant's session is denied by its `lanyard:grant` session tag, whatever
 *   second it was issued in.
 *
 * The document is the only state: it is read, merged, pruned and written back whole.
 */

export interface RevocationEntries {
  /** Source identity -> cutoff (ms, a whole second). */
  readonly identities: Map<string, number>
  /** Grant id -> until (ms): kept while the grant's session may still live. */
  readonly grants: Map<string, number>
  /** Statements someone else added to the policy: kept as they are, never dropped. */
  readonly foreign: unknown[]
}

/**
 * A session lives at most 12 hours (AssumeRole and AssumeRoleWithWebIdentity allow 43,200 s):
 * a cutoff older than that matches no live session any more.
 */
export const maxSessionMs = 43_200 * 1000
const identitySid = /^LanyardRevokedBefore(\d+)$/
const grantSid = /^LanyardRevokedGrantsUntil(\d+)$/
const hourMs = 3600 * 1000

export function emptyEntries(): RevocationEntries {
  return { identities: new Map(), grants: new Map(), foreign: [] }
}

/** Reads a policy this module wrote (and keeps whatever else it finds). */
export function parseRevocationPolicy(text: string | undefined): RevocationEntries {
  const entries = emptyEntries()
  if (text === undefined) return entries
  const document = JSON.parse(text) as { Statement?: unknown }
  const statements = Array.isArray(document.Statement) ? document.Statement : document.Statement === undefined ? [] : [document.Statement]
  for (const statement of statements) {
    const { Sid: sid, Condition: condition } = (statement ?? {}) as { Sid?: unknown; Condition?: { StringEquals?: Record<string, unknown> } }
    const identity = typeof sid === 'string' ? identitySid.exec(sid) : null
    const grant = typeof sid === 'string' ? grantSid.exec(sid) : null
    const values = (key: string) => [condition?.StringEquals?.[key] ?? []].flat().filter((v): v is string => typeof v === 'string')
    if (identity) for (const name of values('aws:SourceIdentity')) addIdentity(entries, name, Number(identity[1]) * 1000)
    else if (grant) for (const id of values('aws:PrincipalTag/lanyard:grant')) addGrant(entries, id, Number(grant[1]) * 1000)
    else entries.foreign.push(statement)
  }
  return entries
}

/** A later cutoff covers everything an earlier one did. */
export function addIdentity(entries: RevocationEntries, sourceIdentity: string, cutoffMs: number): void {
  entries.identities.set(sourceIdentity, Math.max(entries.identities.get(sourceIdentity) ?? 0, cutoffMs))
}

/** Grants are grouped by the hour their sessions end in, rounded up: fewer statements, never shorter. */
export function addGrant(entries: RevocationEntries, grantId: string, untilMs: number): void {
  const until = Math.ceil(untilMs / hourMs) * hourMs
  entries.grants.set(grantId, Math.max(entries.grants.get(grantId) ?? 0, until))
}

/** Drops entries no live session can match any more. */
export function prune(entries: RevocationEntries, nowMs: number): void {
  for (const [name, cutoff] of entries.identities) if (cutoff + maxSessionMs <= nowMs) entries.identities.delete(name)
  for (const [id, until] of entries.grants) if (until <= nowMs) entries.grants.delete(id)
}

/** Whether the policy denies a session: by its grant tag, or its source identity and issue second. */
export function denies(entries: RevocationEntries, session: { sourceIdentity: string; issuedAtMs: number; grantId: string }): boolean {
  const cutoff = entries.identities.get(session.sourceIdentity)
  return entries.grants.has(session.grantId) || (cutoff !== undefined && session.issuedAtMs < cutoff)
}

export function renderRevocationPolicy(entries: RevocationEntries): string {
  const statements: unknown[] = [...entries.foreign]
  for (const [cutoff, names] of groupBy(entries.identities)) {
    statements.push({
      Sid: `LanyardRevokedBefore${cutoff / 1000}`,
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceIdentity': names }, DateLessThan: { 'aws:TokenIssueTime': isoSeconds(cutoff) } },
    })
  }
  for (const [until, ids] of groupBy(entries.grants)) {
    statements.push({
      Sid: `LanyardRevokedGrantsUntil${until / 1000}`,
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: { StringEquals: { 'aws:PrincipalTag/lanyard:grant': ids } },
    })
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: statements })
}

/**
 * Renders within `budgetChars`, merging when it does not fit: (1) the two grant groups ending
 * closest together become one ending at the later time; (2) then the two identity groups with
 * the closest cutoffs become one at the later cutoff. Both only ever deny more, never less (a
 * merged identity loses sessions issued between its cutoff and the later one). Undefined when
 * even one group of each does not fit.
 */
export function renderWithin(entries: RevocationEntries, budgetChars: number): string | undefined {
  for (;;) {
    const text = renderRevocationPolicy(entries)
    if (text.length <= budgetChars) return text
    if (!mergeClosest(entries.grants) && !mergeClosest(entries.identities)) return undefined
  }
}

function mergeClosest(map: Map<string, number>): boolean {
  const times = [...new Set(map.values())].sort((a, b) => a - b)
  if (times.length < 2) return false
  let at = 0
  for (let i = 1; i < times.length - 1; i++) if (times[i + 1]! - times[i]! < times[at + 1]! - times[at]!) at = i
  const [earlier, later] = [times[at]!, times[at + 1]!]
  for (const [key, time] of map) if (time === earlier) map.set(key, later)
  return true
}

function groupBy(map: Map<string, number>): [number, string[]][] {
  const groups = new Map<number, string[]>()
  for (const [key, time] of map) groups.set(time, [...(groups.get(time) ?? []), key])
  return [...groups].sort((a, b) => a[0] - b[0]).map(([time, keys]) => [time, keys.sort()])
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
