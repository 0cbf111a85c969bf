import { decodeJwt } from 'jose'
import { checkpointRoot, verifyAuditChain, type AgentChainHead, type ChainHead } from '@lanyard/core'
import { CliError } from './cli-error.js'
import { readInput } from './read-input.js'
import type { AuditEvent, AuditVerification } from './admin-wire.js'

/**
 * The audit chain checked here, from the events as the admin API (or a jsonl export) gives
 * them, so an auditor needs neither the broker nor its word: the broker's own rule
 * (`verifyAuditChain` of @lanyard/core), run in the CLI's process on the wire events. A chain
 * cut short at the end still verifies: compare `head` with one recorded elsewhere.
 */
export function verifyAuditEvents(handle: string, events: readonly AuditEvent[], head?: ChainHead): AuditVerification {
  const unreadable = events.find((e) => Number.isNaN(new Date(e.at).getTime()))
  if (unreadable !== undefined) return { ok: false, broken_at: unreadable.seq, reason: '"at" is not a time' }
  const verdict = verifyAuditChain(
    // Fields are hashed as they came: a wrong type or value just fails the hash.
    events.map((e) => ({ handle, seq: e.seq, prevHash: e.prev_hash, hash: e.hash, at: new Date(e.at), actor: e.actor, action: e.action, target: e.target, outcome: e.outcome as 'success', details: e.details as Record<string, unknown> })),
    head,
  )
  return verdict.ok ? { ok: true, length: verdict.length, head: verdict.head } : { ok: false, broken_at: verdict.brokenAt, reason: verdict.reason }
}

/** One line for a verdict, as `audit --verify` and `audit verify-file` print it. */
export function verificationLine(v: AuditVerification): string {
  if (v.ok) return `chain verified: ${v.length ?? '?'} event(s)${v.head ? `, head ${v.head}` : ''}`
  return `chain BROKEN${v.broken_at === undefined ? '' : ` at seq ${v.broken_at}`}${v.reason ? `: ${v.reason}` : ''}`
}

interface CheckpointFile {
  id?: string
  at?: string
  root: string
  token?: string
  heads: AgentChainHead[]
}

/**
 * The head `handle` had at the latest checkpoint in `file` (a checkpoint as GET
 * /v1/audit/checkpoints lists it or a webhook SET carries it, or that whole response), after
 * checking that its heads hash to its root and that the root is the one its JWS states.
 * Undefined: the checkpoint predates the agent. The JWS signature itself is checked against
 * the broker's JWKS by whoever archived the checkpoint, not here.
 */
export async function checkpointHead(file: string, handle: string): Promise<{ head: ChainHead | undefined; checkpoint: string }> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readInput(file, 'the checkpoint'))
  } catch (error) {
    if (error instanceof CliError) throw error
    throw new CliError(`${file} is not JSON`)
  }
  const all = (typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { checkpoints?: unknown }).checkpoints) ? (parsed as { checkpoints: unknown[] }).checkpoints : [parsed]) as CheckpointFile[]
  const valid = all.filter((c) => typeof c === 'object' && c !== null && typeof c.root === 'string' && Array.isArray(c.heads))
  if (valid.length === 0) throw new CliError(`${file} holds no audit checkpoint (root, heads)`)
  const latest = valid.reduce((a, b) => (Date.parse(b.at ?? '') > Date.parse(a.at ?? '') ? b : a))
  if (checkpointRoot(latest.heads) !== latest.root) throw new CliError(`checkpoint ${latest.id ?? ''} in ${file}: its heads do not hash to its root (altered)`)
  if (latest.token !== undefined) {
    let claimed: unknown
    try {
      claimed = decodeJwt(latest.token).root
    } catch {
      throw new CliError(`checkpoint ${latest.id ?? ''} in ${file}: its token is not a JWT`)
    }
    if (claimed !== latest.root) throw new CliError(`checkpoint ${latest.id ?? ''} in ${file}: its root is not the one its signed token states`)
  }
  const head = latest.heads.find((h) => h.handle === handle)
  return { head: head === undefined ? undefined : { seq: head.seq, hash: head.hash }, checkpoint: `${latest.id ?? '?'} at ${latest.at ?? '?'}` }
}
