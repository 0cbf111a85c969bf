import type { JSONWebKeySet } from 'jose'
import type { AgentChainHead, ChainHead } from '@lanyard/core'
import { CliError, VerificationFailed } from './cli-error.js'
import { readInput } from './read-input.js'
import type { AuditEvent, AuditVerification } from './admin-wire.js'

/**
 * The audit chain checked here, from the events as the admin API (or a jsonl export) gives
 * them, so an auditor needs neither the broker nor its word: the broker's own rule
 * (`verifyAuditChain` of @lanyard/core), run in the CLI's process on the wire events. A chain
 * cut short at the end still verifies: compare `head` with one recorded elsewhere.
 * jose and @lanyard/core are loaded on use, so the CLI starts without them.
 */
export async function verifyAuditEvents(handle: string, events: readonly AuditEvent[], head?: ChainHead): Promise<AuditVerification> {
  const { verifyAuditChain } = await import('@lanyard/core')
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

/** The broker's keys a checkpoint's JWS must verify against, and the issuer it must name. */
export interface CheckpointTrust {
  readonly jwks: JSONWebKeySet
  readonly issuer: string | undefined
}

/**
 * The head `handle` had at the latest checkpoint in `file` (a checkpoint as GET
 * /v1/audit/checkpoints lists it or a webhook SET carries it, or that whole response), after
 * checking that its heads hash to its root and that the root is the one its JWS states. With
 * `trust`, the JWS must also verify against the broker's keys (jose: signature, `typ`, issuer):
 * without it, whoever can rewrite the file can re-sign it with a key of their own.
 * Undefined head: the checkpoint predates the agent.
 */
export async function checkpointHead(file: string, handle: string, trust?: CheckpointTrust): Promise<{ head: ChainHead | undefined; checkpoint: string; signature: 'verified' | 'not checked' }> {
  const { checkpointRoot } = await import('@lanyard/core')
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
  const name = `checkpoint ${latest.id ?? ''} in ${file}`
  if (checkpointRoot(latest.heads) !== latest.root) throw new VerificationFailed(`${name}: its heads do not hash to its root (altered)`)
  if (trust !== undefined && latest.token === undefined) throw new CliError(`${name} carries no signed token to verify`)
  if (latest.token !== undefined) {
    const claimed = trust === undefined ? await decodedRoot(latest.token, name) : await verifiedRoot(latest.token, trust, name)
    if (claimed !== latest.root) throw new VerificationFailed(`${name}: its root is not the one its signed token states`)
  }
  const head = latest.heads.find((h) => h.handle === handle)
  return { head: head === undefined ? undefined : { seq: head.seq, hash: head.hash }, checkpoint: `${latest.id ?? '?'} at ${latest.at ?? '?'}`, signature: trust === undefined ? 'not checked' : 'verified' }
}

async function decodedRoot(token: string, name: string): Promise<unknown> {
  const { decodeJwt } = await import('jose')
  try {
    return decodeJwt(token).root
  } catch {
    throw new CliError(`${name}: its token is not a JWT`)
  }
}

async function verifiedRoot(token: string, trust: CheckpointTrust, name: string): Promise<unknown> {
  const [{ createLocalJWKSet, errors, jwtVerify }, { checkpointType }] = await Promise.all([import('jose'), import('@lanyard/core')])
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(trust.jwks), { typ: checkpointType, algorithms: ['EdDSA', 'ES256', 'RS256'], ...(trust.issuer === undefined ? {} : { issuer: trust.issuer }) })
    return payload.root
  } catch (error) {
    if (error instanceof errors.JOSEError) throw new VerificationFailed(`${name}: its signed token does not verify against the broker's keys (${error.code})`)
    throw error
  }
}
